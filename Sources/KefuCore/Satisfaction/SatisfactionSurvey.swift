import Foundation

public typealias SurveyID = Identifier<SurveyTag>
public enum SurveyTag {}

/// How a customer rated one resolution: 1 (very bad) to 5 (very good), with words if they like.
public struct SurveyAnswer: Sendable, Equatable, Codable {
    public var rating: Int
    public var comment: String?

    public static let ratings = 1...5
    public static let maxCommentLength = 2000
    /// Ratings at or below this open a follow-up for a supervisor.
    public static let lowRating = 2

    public init(rating: Int, comment: String?) {
        self.rating = rating
        self.comment = comment
    }

    /// A rating in range and a comment that fits (blank means none); the comment trimmed.
    public static func validated(rating: Int, comment: String?) throws(ValidationFailure) -> SurveyAnswer {
        var failure = ValidationFailure()
        if !ratings.contains(rating) { failure.add("rating", .notOneOf(ratings.map(String.init))) }
        if let comment, comment.unicodeScalars.count > maxCommentLength { failure.add("comment", .tooLong(max: maxCommentLength)) }
        try failure.throwIfAny()
        let trimmed = comment?.trimmingCharacters(in: .whitespacesAndNewlines).storable
        return SurveyAnswer(rating: rating, comment: trimmed?.isEmpty == false ? trimmed : nil)
    }

    public var isLow: Bool { rating <= Self.lowRating }
}

/// One satisfaction survey: the question asked after one resolution of a conversation.
public struct SatisfactionSurvey: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Waiting for the delay after the resolution.
        case scheduled
        case sent
        case answered
        /// Not asked: the conversation was reopened first, the inbox does not ask, the customer is a robot…
        case skipped
    }

    public enum FollowUp: String, Sendable, Codable {
        case open
        case done
    }

    public var id: SurveyID
    public var conversationId: ConversationID
    /// Which resolution of the conversation it asks about (1 for the first).
    public var resolution: Int
    public var inboxId: InboxID
    public var channel: InboxKind
    public var status: Status
    public var skipReason: String?
    /// A supervisor sent it by hand.
    public var manual: Bool
    public var locale: String
    /// The agent and team the conversation was with when it was resolved.
    public var agentId: AgentID?
    public var teamId: TeamID?
    public var resolvedAt: Date
    public var sentAt: Date?
    public var answer: SurveyAnswer?
    public var answeredAt: Date?
    /// Where the answer came from: "widget", "page", "telegram".
    public var answeredVia: String?
    public var followUp: FollowUp?
    public var createdAt: Date

    public init(
        id: SurveyID, conversationId: ConversationID, resolution: Int, inboxId: InboxID, channel: InboxKind, status: Status, skipReason: String?,
        manual: Bool, locale: String, agentId: AgentID?, teamId: TeamID?, resolvedAt: Date, sentAt: Date?, answer: SurveyAnswer?,
        answeredAt: Date?, answeredVia: String?, followUp: FollowUp?, createdAt: Date
    ) {
        self.id = id
        self.conversationId = conversationId
        self.resolution = resolution
        self.inboxId = inboxId
        self.channel = channel
        self.status = status
        self.skipReason = skipReason
        self.manual = manual
        self.locale = locale
        self.agentId = agentId
        self.teamId = teamId
        self.resolvedAt = resolvedAt
        self.sentAt = sentAt
        self.answer = answer
        self.answeredAt = answeredAt
        self.answeredVia = answeredVia
        self.followUp = followUp
        self.createdAt = createdAt
    }

    /// How long after it was sent a survey still takes answers.
    public static let answerWindow: TimeInterval = 30 * 86_400
}
