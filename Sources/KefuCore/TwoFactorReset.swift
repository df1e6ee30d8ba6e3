import Foundation

/// Support turning a customer's 2FA off for them (a lost phone and no recovery codes). The most
/// abused path into a wallet account, so it takes two staff members and time: an agent asks with
/// a reason, a supervisor who is not that agent approves, and it applies only after a waiting
/// period during which the customer, mailed at once, can cancel it.
public struct TwoFactorReset: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case awaitingApproval = "awaiting_approval"
        /// Approved; applies at `appliesAt` unless cancelled first.
        case scheduled
        /// Stopped by the customer (from the mail or their account page).
        case cancelled
        /// Stopped by a supervisor.
        case rejected
        case applied

        /// Still able to happen: at most one such reset per account.
        public var isOpen: Bool { self == .awaitingApproval || self == .scheduled }
    }

    public var id: String
    public var accountId: AccountID
    public var status: Status
    /// Why the agent asked (how they checked who the customer is); shown to the approver.
    public var reason: String
    public var requestedBy: AgentID
    public var conversationId: ConversationID?
    /// The supervisor who approved or rejected it.
    public var decidedBy: AgentID?
    public var decidedAt: Date?
    public var appliesAt: Date?
    /// When it was cancelled, rejected or applied.
    public var finishedAt: Date?
    public var createdAt: Date

    public init(
        id: String, accountId: AccountID, status: Status, reason: String, requestedBy: AgentID, conversationId: ConversationID?,
        decidedBy: AgentID? = nil, decidedAt: Date? = nil, appliesAt: Date? = nil, finishedAt: Date? = nil, createdAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.status = status
        self.reason = reason
        self.requestedBy = requestedBy
        self.conversationId = conversationId
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.appliesAt = appliesAt
        self.finishedAt = finishedAt
        self.createdAt = createdAt
    }

    /// How long a reason must be: enough to say how the customer was identified.
    public static let reasonLength = 10...1000
}
