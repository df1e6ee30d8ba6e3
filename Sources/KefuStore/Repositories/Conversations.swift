import Foundation
import KefuCore

public struct ConversationFilter: Sendable, Equatable {
    public var status: ConversationStatus?
    public var inboxId: InboxID?
    /// `.some(nil)` means unassigned.
    public var assigneeId: AgentID??
    /// One customer's conversations (e.g. those linked to a held withdrawal's account).
    public var contactId: ContactID?
    /// Only conversations with a missed target, or with a target running.
    public var sla: SLAFilter?
    /// Latest activity first, or the soonest due target first (only those with one running).
    public var order: ConversationOrder

    public init(
        status: ConversationStatus? = nil, inboxId: InboxID? = nil, assigneeId: AgentID?? = nil, contactId: ContactID? = nil, sla: SLAFilter? = nil,
        order: ConversationOrder = .activity
    ) {
        self.status = status
        self.inboxId = inboxId
        self.assigneeId = assigneeId
        self.contactId = contactId
        self.sla = sla
        self.order = order
    }
}

public enum SLAFilter: String, Sendable, CaseIterable {
    case breached
    case due
}

public enum ConversationOrder: String, Sendable, CaseIterable {
    case activity
    case slaDue = "sla_due"
}

/// A change an agent makes to a conversation; nil fields stay as they are.
public struct ConversationChange: Sendable, Equatable {
    public var status: ConversationStatus?
    public var priority: ConversationPriority?
    /// `.some(nil)` unassigns.
    public var assigneeId: AgentID??
    public var teamId: TeamID??
    public var labels: [String]?
    public var snoozedUntil: Date??

    public init(
        status: ConversationStatus? = nil, priority: ConversationPriority? = nil, assigneeId: AgentID?? = nil,
        teamId: TeamID?? = nil, labels: [String]? = nil, snoozedUntil: Date?? = nil
    ) {
        self.status = status
        self.priority = priority
        self.assigneeId = assigneeId
        self.teamId = teamId
        self.labels = labels
        self.snoozedUntil = snoozedUntil
    }

    /// True when applying it would change nothing.
    public var isEmpty: Bool {
        status == nil && priority == nil && assigneeId == nil && teamId == nil && labels == nil && snoozedUntil == nil
    }
}

public protocol ConversationRepository: Sendable {
    func createConversation(inboxId: InboxID, contactId: ContactID, subject: String?) async throws -> Conversation
    func conversation(id: ConversationID) async throws -> Conversation?
    func listConversations(filter: ConversationFilter, after cursor: PageCursor?, limit: Int) async throws -> Page<Conversation>
    func countConversations(filter: ConversationFilter) async throws -> Int
    /// How many conversations match `filter` in each status (the filter's own status is
    /// ignored), in one query: the inbox's status tabs. Statuses with none are absent.
    func countConversationsByStatus(filter: ConversationFilter) async throws -> [ConversationStatus: Int]
    /// Moves the customer's or the agents' read position forward to `seq`; false when it did not move.
    func markRead(conversationId: ConversationID, by reader: AuthorKind, upTo seq: Int64) async throws -> Bool
    /// Flags the conversation: its customer exposed a secret (the first time is kept).
    func markSecretExposed(conversationId: ConversationID, at: Date) async throws
    /// How many open or pending conversations each agent holds (agents with none are absent).
    func openLoad() async throws -> [AgentID: Int]
    /// Applies the change and, with an `actor`, appends a system message recording status and
    /// assignment changes ("status:resolved assignee:ID"), all in one transaction.
    func updateConversation(id: ConversationID, change: ConversationChange, actor: Author?, audit: AuditEvent?) async throws
        -> ConversationUpdate
    /// Opens a conversation with its labels and first message and, when `assign` picks an agent
    /// from the open load it reads in the same transaction, its assignment (a system message
    /// and an audit line): one transaction, so a crash leaves all of it or none.
    func startConversation(_ start: ConversationStart, assign: AssignmentChoice?) async throws -> StartedConversation
}

/// Picks an assignee for a new conversation from each agent's open load and the agent who got
/// the last chat by round robin, both read inside the transaction that starts it (one such
/// transaction at a time, on every instance); nil leaves it unassigned.
public typealias AssignmentChoice = @Sendable (_ conversation: ConversationID, _ openLoad: [AgentID: Int], _ lastAssigned: AgentID?) ->
    AutoAssignment?

public struct AutoAssignment: Sendable {
    public var agent: AgentID
    public var audit: AuditEvent

    public init(agent: AgentID, audit: AuditEvent) {
        self.agent = agent
        self.audit = audit
    }
}

/// Everything a new conversation starts with.
public struct ConversationStart: Sendable {
    public var inboxId: InboxID
    public var contactId: ContactID
    public var subject: String?
    public var labels: [String]
    public var firstMessage: NewMessage

    public init(inboxId: InboxID, contactId: ContactID, subject: String?, labels: [String] = [], firstMessage: NewMessage) {
        self.inboxId = inboxId
        self.contactId = contactId
        self.subject = subject
        self.labels = labels
        self.firstMessage = firstMessage
    }
}

public struct StartedConversation: Sendable {
    /// As it stands after the start (assigned when it was).
    public var conversation: Conversation
    public var first: AppendResult
    /// The system message that recorded the assignment, if one was made.
    public var assignment: Message?

    public init(conversation: Conversation, first: AppendResult, assignment: Message?) {
        self.conversation = conversation
        self.first = first
        self.assignment = assignment
    }
}

/// A conversation after a change, with the system message that recorded it (if any).
public struct ConversationUpdate: Sendable {
    public var conversation: Conversation
    /// The system message that recorded the change, if it changed status or assignee.
    public var historyMessage: Message?

    public init(conversation: Conversation, historyMessage: Message?) {
        self.conversation = conversation
        self.historyMessage = historyMessage
    }
}

extension ConversationRepository {
    public func updateConversation(id: ConversationID, change: ConversationChange, audit: AuditEvent?) async throws -> Conversation {
        try await updateConversation(id: id, change: change, actor: nil, audit: audit).conversation
    }
}
