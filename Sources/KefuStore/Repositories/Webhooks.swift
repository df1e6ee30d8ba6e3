import Foundation
import KefuCore

/// Something that happened, written in the transaction that made it happen, waiting to be
/// fanned out to the subscriptions that want it. It names its subject; the payload is built
/// from the stored records when it is fanned out.
public struct OutboundEventRecord: Sendable, Equatable {
    public var seq: Int64
    public var type: OutboundEventType
    /// The message, conversation, authorization or account the event is about.
    public var subjectId: String
    public var inboxId: InboxID?
    /// What the subject alone does not say ("private": "true" for a note, the changed fields).
    public var detail: [String: String]
    public var createdAt: Date
}

public enum WebhookStatus: String, Sendable, Codable {
    case active
    /// Kefu stopped sending (five days of failures, or the endpoint answered 410), or an admin did.
    case disabled
}

public struct WebhookSubscription: Sendable, Equatable {
    public var id: String
    public var url: String
    public var events: [OutboundEventType]
    public var includePrivateNotes: Bool
    /// A callback of an API-channel inbox: only that inbox's events.
    public var inboxId: InboxID?
    public var secretSealed: String
    /// During a rotation both secrets sign, until this time.
    public var previousSecretSealed: String?
    public var previousSecretUntil: Date?
    public var status: WebhookStatus
    public var disabledReason: String?
    /// When the current run of failures began (nil while deliveries succeed).
    public var failingSince: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public func wants(_ event: OutboundEventRecord) -> Bool {
        guard status == .active, events.contains(event.type) else { return false }
        if let inboxId, event.inboxId != inboxId { return false }
        if event.detail["private"] == "true" && !includePrivateNotes { return false }
        return true
    }
}

public struct NewWebhookSubscription: Sendable, Equatable {
    public var url: String
    public var events: [OutboundEventType]
    public var includePrivateNotes: Bool
    public var inboxId: InboxID?
    public var secretSealed: String

    public init(url: String, events: [OutboundEventType], includePrivateNotes: Bool, inboxId: InboxID? = nil, secretSealed: String) {
        self.url = url
        self.events = events
        self.includePrivateNotes = includePrivateNotes
        self.inboxId = inboxId
        self.secretSealed = secretSealed
    }
}

public enum WebhookDeliveryStatus: String, Sendable, Codable, CaseIterable {
    case queued, sending, delivered, failed
}

public struct WebhookDelivery: Sendable, Equatable {
    public var id: String
    public var subscriptionId: String
    public var eventType: OutboundEventType
    /// The exact JSON sent (and signed), the same on every attempt.
    public var body: String
    public var status: WebhookDeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var responseStatus: Int?
    public var latencyMs: Int?
    public var responseExcerpt: String?
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?

    public init(
        id: String, subscriptionId: String, eventType: OutboundEventType, body: String, status: WebhookDeliveryStatus, attempts: Int,
        nextAttemptAt: Date, responseStatus: Int? = nil, latencyMs: Int? = nil, responseExcerpt: String? = nil, lastError: String? = nil,
        createdAt: Date, deliveredAt: Date? = nil
    ) {
        self.id = id
        self.subscriptionId = subscriptionId
        self.eventType = eventType
        self.body = body
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.responseStatus = responseStatus
        self.latencyMs = latencyMs
        self.responseExcerpt = responseExcerpt
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

public struct NewWebhookDelivery: Sendable, Equatable {
    public var subscriptionId: String
    public var eventType: OutboundEventType
    public var body: String

    public init(subscriptionId: String, eventType: OutboundEventType, body: String) {
        self.subscriptionId = subscriptionId
        self.eventType = eventType
        self.body = body
    }
}

/// How one attempt went.
public struct WebhookAttempt: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case delivered
        case retry(at: Date)
        case failed
    }

    public var outcome: Outcome
    public var responseStatus: Int?
    public var latencyMs: Int?
    public var responseExcerpt: String?
    public var error: String?

    public init(outcome: Outcome, responseStatus: Int? = nil, latencyMs: Int? = nil, responseExcerpt: String? = nil, error: String? = nil) {
        self.outcome = outcome
        self.responseStatus = responseStatus
        self.latencyMs = latencyMs
        self.responseExcerpt = responseExcerpt
        self.error = error
    }
}

public protocol WebhookRepository: Sendable {
    func createWebhook(_ new: NewWebhookSubscription, audit: AuditEvent?) async throws -> WebhookSubscription
    func webhookSubscriptions() async throws -> [WebhookSubscription]
    func webhookSubscription(id: String) async throws -> WebhookSubscription?
    /// Changes what is given (nil leaves it); `enabled` re-activates (clearing the failure run)
    /// or disables.
    func updateWebhook(
        id: String, url: String?, events: [OutboundEventType]?, includePrivateNotes: Bool?, enabled: Bool?, audit: AuditEvent?
    ) async throws -> WebhookSubscription
    /// A new secret; the old one keeps signing beside it until `previousUntil`.
    func rotateWebhookSecret(id: String, secretSealed: String, previousUntil: Date, audit: AuditEvent?) async throws -> WebhookSubscription
    func deleteWebhook(id: String, audit: AuditEvent?) async throws
    func disableWebhook(id: String, reason: String) async throws

    /// Journals an event that no other write carries (an agent typing), when a subscription wants it.
    func journalEvent(_ type: OutboundEventType, subject: String, inboxId: InboxID?, detail: [String: String]) async throws
    /// The oldest events not yet fanned out.
    func pendingOutboundEvents(limit: Int) async throws -> [OutboundEventRecord]
    /// Removes the events (keys: their seq) from the journal and queues their deliveries, in one
    /// transaction; an event another dispatcher already took queues nothing.
    func fanOut(_ deliveries: [Int64: [NewWebhookDelivery]]) async throws

    func claimDueWebhookDeliveries(now: Date, lease: TimeInterval, limit: Int) async throws -> [WebhookDelivery]
    /// Records a claim's attempt, and the subscription's run of failures (started, or ended by a
    /// success), only while the claim is still the delivery's latest (status `sending`, attempts
    /// unchanged); says whether it did. A sender that stalled past its lease records nothing.
    @discardableResult func recordWebhookAttempt(_ claim: WebhookDelivery, _ attempt: WebhookAttempt, at: Date) async throws -> Bool
    func webhookDeliveries(subscriptionId: String, status: WebhookDeliveryStatus?, limit: Int) async throws -> [WebhookDelivery]
    func webhookDelivery(id: String) async throws -> WebhookDelivery?
    /// Sends a delivery again (its attempts start over); nil when the subscription has no such delivery.
    func replayWebhookDelivery(subscriptionId: String, id: String, at: Date) async throws -> WebhookDelivery?
    /// Sends every failed delivery of the subscription again; returns how many.
    func replayFailedWebhookDeliveries(subscriptionId: String, at: Date) async throws -> Int
}
