import Foundation
import KefuCore

/// One conversation as reports read it.
public struct ReportConversation: Sendable, Equatable {
    public var id: ConversationID
    public var number: Int64
    public var channel: InboxKind
    public var inboxId: InboxID
    public var status: ConversationStatus
    public var assigneeId: AgentID?
    public var teamId: TeamID?
    public var labels: [String]
    public var createdAt: Date
    public var firstReplyAt: Date?
    public var resolvedAt: Date?
    /// Response targets: none measured, all met on time, or one missed.
    public var slaOutcome: String
    public var csat: SurveyAnswer?

    public init(
        id: ConversationID, number: Int64, channel: InboxKind, inboxId: InboxID, status: ConversationStatus, assigneeId: AgentID?, teamId: TeamID?,
        labels: [String], createdAt: Date, firstReplyAt: Date?, resolvedAt: Date?, slaOutcome: String, csat: SurveyAnswer?
    ) {
        self.id = id
        self.number = number
        self.channel = channel
        self.inboxId = inboxId
        self.status = status
        self.assigneeId = assigneeId
        self.teamId = teamId
        self.labels = labels
        self.createdAt = createdAt
        self.firstReplyAt = firstReplyAt
        self.resolvedAt = resolvedAt
        self.slaOutcome = slaOutcome
        self.csat = csat
    }
}

/// A response target's outcome (met on time, met late or missed) in a reported conversation.
public struct ReportTargetOutcome: Sendable, Equatable {
    public var conversationId: ConversationID
    public var metric: SLAMetric
    /// "met" (on time) or "breached".
    public var outcome: String

    public init(conversationId: ConversationID, metric: SLAMetric, outcome: String) {
        self.conversationId = conversationId
        self.metric = metric
        self.outcome = outcome
    }
}

/// The raw rows reports are computed from, for conversations created (and surveys about
/// resolutions made) within `[from, to)`.
public protocol ReportRepository: Sendable {
    func reportConversations(from: Date, to: Date) async throws -> [ReportConversation]
    func reportTargetOutcomes(from: Date, to: Date) async throws -> [ReportTargetOutcome]
    func reportSurveys(from: Date, to: Date) async throws -> [SatisfactionSurvey]
    func reportDeflections(from: Date, to: Date) async throws -> [HelpDeflectionOutcome: Int]
    /// Searches with no result last seen in the range, most searched first (counts are totals).
    func reportSearchMisses(from: Date, to: Date, limit: Int) async throws -> [HelpSearchMiss]
    /// A bare count of the conversations created in the range (the benchmark's baseline).
    func countConversationsCreated(from: Date, to: Date) async throws -> Int
    /// Feedback-board activity in the range: posts, votes, comments.
    func feedbackActivity(from: Date, to: Date) async throws -> (posts: Int, votes: Int, comments: Int)
}
