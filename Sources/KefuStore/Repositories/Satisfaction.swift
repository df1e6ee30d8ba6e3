import Foundation
import KefuCore

/// What a survey is about, read when it is sent.
public struct SurveyContext: Sendable {
    public var survey: SatisfactionSurvey
    public var conversation: Conversation
    public var inbox: Inbox
    public var contact: Contact?
    /// The latest mail the customer sent in the conversation was from a robot (auto-reply, bounce, list).
    public var lastMailAutomatic: Bool
    /// The customer never wrote in the conversation (an outbound mail nobody answered).
    public var customerSilent: Bool
    /// The channel's thread ("chat:ID" on Telegram; a negative id is a group).
    public var threadKey: String?
    /// How many times the conversation has been resolved by now.
    public var resolutions: Int = 0

    public init(
        survey: SatisfactionSurvey, conversation: Conversation, inbox: Inbox, contact: Contact?, lastMailAutomatic: Bool, customerSilent: Bool,
        threadKey: String?
    ) {
        self.threadKey = threadKey
        self.survey = survey
        self.conversation = conversation
        self.inbox = inbox
        self.contact = contact
        self.lastMailAutomatic = lastMailAutomatic
        self.customerSilent = customerSilent
    }
}

/// What answering a survey changed, for the service to publish.
public struct SurveyAnswered: Sendable {
    public var survey: SatisfactionSurvey
    public var conversation: Conversation
    /// The history line of the first answer (none when an answer is amended).
    public var history: Message?
}

/// A low rating waiting for a supervisor, with the conversation it came from.
public struct SurveyFollowUp: Sendable {
    public var survey: SatisfactionSurvey
    public var conversationNumber: Int64
    public var contactName: String?
}

/// Satisfaction surveys: scheduled by the resolution itself (`updateConversation`), leased and
/// sent by the survey sender, answered from the widget, the rating page or Telegram.
public protocol SatisfactionRepository: Sendable {
    func survey(id: SurveyID) async throws -> SatisfactionSurvey?
    func surveys(conversationId: ConversationID) async throws -> [SatisfactionSurvey]
    /// Leases scheduled surveys resolved at or before `cutoff` (the delay is the caller's).
    func claimDueSurveys(cutoff: Date, now: Date, owner: String, lease: TimeInterval, limit: Int) async throws -> [SatisfactionSurvey]
    func surveyContext(id: SurveyID) async throws -> SurveyContext?
    /// Marks a leased survey sent (with its history line, and the `conversation.csat_requested`
    /// event for webhooks) or skipped; nil when the lease was lost.
    func finishSurvey(id: SurveyID, owner: String, skipReason: String?, ratingURL: String, at: Date) async throws -> (SatisfactionSurvey, Message?)?
    /// Records or amends an answer; `StoreError.conflict` when the survey cannot take one.
    func answerSurvey(id: SurveyID, answer: SurveyAnswer, via: String, at: Date) async throws -> SurveyAnswered
    /// A supervisor asks now: the current resolution's survey is (re)scheduled for `sendAt`.
    func requestSurvey(conversationId: ConversationID, sendAt: Date, audit: AuditEvent) async throws -> SatisfactionSurvey
    func setSurveys(inboxId: InboxID, enabled: Bool, audit: AuditEvent) async throws -> Inbox
    func surveyFollowUps(open: Bool, limit: Int) async throws -> [SurveyFollowUp]
    func closeFollowUp(id: SurveyID, by agent: AgentID, at: Date) async throws -> Bool
}
