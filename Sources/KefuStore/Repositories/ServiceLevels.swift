import Foundation
import KefuCore

/// One line of a conversation's response-target log.
public struct SLAEventRecord: Sendable, Equatable {
    public var id: Int64
    public var conversationId: ConversationID
    public var event: SLAEvent

    public init(id: Int64, conversationId: ConversationID, event: SLAEvent) {
        self.id = id
        self.conversationId = conversationId
        self.event = event
    }
}

/// What one firing of a conversation's due timers did, for the service to publish.
public struct SLAFiring: Sendable {
    public var conversation: Conversation
    /// Warnings and breaches, in order.
    public var events: [SLAEvent]
    /// History lines written by breach actions (priority raised, reassigned).
    public var history: [Message]
    /// Agents told in the console.
    public var notified: [AgentID]

    public init(conversation: Conversation, events: [SLAEvent], history: [Message], notified: [AgentID]) {
        self.conversation = conversation
        self.events = events
        self.history = history
        self.notified = notified
    }
}

/// Something an agent is told in the console (and supervisors by mail).
public struct AgentNotification: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case slaWarning = "sla_warning"
        case slaBreach = "sla_breach"
        /// A customer rated a resolution low: a supervisor follows up.
        case csatLow = "csat_low"
    }

    public var id: String
    public var agentId: AgentID
    public var kind: Kind
    public var conversationId: ConversationID?
    public var detail: [String: String]
    public var createdAt: Date
    public var readAt: Date?

    public init(
        id: String, agentId: AgentID, kind: Kind, conversationId: ConversationID?, detail: [String: String], createdAt: Date, readAt: Date?
    ) {
        self.id = id
        self.agentId = agentId
        self.kind = kind
        self.conversationId = conversationId
        self.detail = detail
        self.createdAt = createdAt
        self.readAt = readAt
    }
}

/// Response targets: calendars, policies, each conversation's timers and log, the timer leases.
/// The clock itself moves inside the conversation writes (`SQLStore+SLAClock`), not through here.
public protocol ServiceLevelRepository: Sendable {
    func businessCalendars() async throws -> [BusinessCalendarRecord]
    func businessCalendar(id: BusinessCalendarID) async throws -> BusinessCalendarRecord?
    /// Inserts or replaces the calendar with its holidays.
    func saveBusinessCalendar(_ calendar: BusinessCalendarRecord, audit: AuditEvent) async throws
    /// `StoreError.conflict` while a policy uses it.
    func deleteBusinessCalendar(id: BusinessCalendarID, audit: AuditEvent) async throws -> Bool

    func slaPolicies() async throws -> [SLAPolicy]
    func slaPolicy(id: SLAPolicyID) async throws -> SLAPolicy?
    func saveSLAPolicy(_ policy: SLAPolicy, audit: AuditEvent) async throws
    func deleteSLAPolicy(id: SLAPolicyID, audit: AuditEvent) async throws -> Bool

    func slaTimers(conversationId: ConversationID) async throws -> [SLATimer]
    func slaEvents(conversationId: ConversationID) async throws -> [SLAEventRecord]

    /// Leases conversations with a timer due by `now` to `owner` (skipping ones leased elsewhere).
    func claimDueSLATimers(now: Date, owner: String, lease: TimeInterval, limit: Int) async throws -> [ConversationID]
    /// Fires what is due on a claimed conversation in one transaction, only while `owner` still
    /// holds its lease: warnings, breaches, breach actions and notifications, each once.
    func fireSLATimers(conversationId: ConversationID, owner: String, now: Date, assign: AssignmentChoice?) async throws -> SLAFiring?

    func agentNotifications(agentId: AgentID, limit: Int) async throws -> [AgentNotification]
    func unreadNotificationCount(agentId: AgentID) async throws -> Int
    func markNotificationsRead(agentId: AgentID, upTo: Date) async throws
    /// Supervisors' notifications still to be mailed, oldest first.
    func notificationsToMail(limit: Int) async throws -> [AgentNotification]
    func markNotificationMailed(id: String) async throws
    /// Whether a supervisor or admin also gets notifications by mail (on unless turned off).
    func notificationMail(agentId: AgentID) async throws -> Bool
    func setNotificationMail(agentId: AgentID, _ enabled: Bool) async throws
}
