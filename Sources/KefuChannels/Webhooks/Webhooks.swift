import Foundation
import KefuAccounts
import KefuCore
import KefuStore

/// Why an admin's webhook request was refused.
public enum WebhookError: Error, Equatable, Sendable {
    case invalid(ValidationFailure)
    case notFound(String)
}

/// Admins' webhook subscriptions: made with a `whsec_` secret shown once (sealed at rest),
/// rotated with an overlap in which both secrets sign, their delivery logs and replays.
public struct Webhooks: Sendable {
    let store: any WebhookRepository
    let box: SecretBox
    let allowPrivate: Bool
    let wakeSender: @Sendable () -> Void
    let now: @Sendable () -> Date

    /// How long the old secret keeps signing after a rotation.
    public static let rotationOverlap: TimeInterval = 24 * 3600

    public init(
        store: any WebhookRepository, secretKey: Data, allowPrivate: Bool, wakeSender: @escaping @Sendable () -> Void = {},
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.box = Self.secretBox(secretKey)
        self.allowPrivate = allowPrivate
        self.wakeSender = wakeSender
        self.now = now
    }

    static func secretBox(_ key: Data) -> SecretBox { SecretBox(secretKey: key, purpose: "webhook-secret") }

    /// The secrets that sign now: the current one, and the previous one during its overlap.
    static func signingSecrets(of subscription: WebhookSubscription, box: SecretBox, now: Date) throws -> [WebhookSecret] {
        guard let current = WebhookSecret(try box.open(subscription.secretSealed)) else { throw WebhookError.notFound("secret") }
        var secrets = [current]
        if let sealed = subscription.previousSecretSealed, let until = subscription.previousSecretUntil, until > now,
            let previous = WebhookSecret(try box.open(sealed))
        {
            secrets.append(previous)
        }
        return secrets
    }

    /// Checks a subscription's URL: absolute http(s), and not a literal loopback or private
    /// address (names are checked again when each delivery resolves them).
    public func checkURL(_ raw: String, field: String = "url") throws(WebhookError) -> String {
        guard let url = WebhookAddress.validURL(raw), let host = url.host else {
            throw .invalid(ValidationFailure(field, .invalid))
        }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        let name = bare.hasSuffix(".") ? String(bare.dropLast()) : bare
        // Literal private addresses, localhost, and names of one label (they resolve through the
        // hosts file or search domains, i.e. inside the network) are refused at once; other names
        // are checked where they resolve at each delivery.
        let local = name == "localhost" || name.hasSuffix(".localhost") || (!name.contains(".") && !WebhookAddress.isLiteral(bare))
        if !allowPrivate && ((WebhookAddress.isLiteral(bare) && !WebhookAddress.isPublic(bare)) || local) {
            throw .invalid(ValidationFailure(field, .rule("private_address")))
        }
        return url.absoluteString
    }

    public static func events(_ names: [String]) throws(WebhookError) -> [OutboundEventType] {
        var failure = ValidationFailure()
        if names.isEmpty { failure.add("events", .required) }
        var events: [OutboundEventType] = []
        for (index, name) in names.enumerated() {
            guard let event = OutboundEventType(rawValue: name) else {
                failure.add("events[\(index)]", .notOneOf(OutboundEventType.allCases.map(\.rawValue)))
                continue
            }
            if !events.contains(event) { events.append(event) }
        }
        if !failure.isEmpty { throw .invalid(failure) }
        return events
    }

    /// A new subscription and its secret (the only time the secret is shown).
    public func create(
        url: String, events names: [String], includePrivateNotes: Bool, inboxId: InboxID? = nil, source: ActionSource
    ) async throws -> (subscription: WebhookSubscription, secret: String) {
        let checked = try checkURL(url)
        let events = try Self.events(names)
        let secret = WebhookSecret.generate()
        let subscription = try await store.createWebhook(
            NewWebhookSubscription(
                url: checked, events: events, includePrivateNotes: includePrivateNotes, inboxId: inboxId, secretSealed: try box.seal(secret.text)),
            audit: source.audit("webhook.created", subjectKind: "webhook", detail: ["url": checked, "events": names.joined(separator: ",")]))
        return (subscription, secret.text)
    }

    public func update(
        id: String, url: String?, events names: [String]?, includePrivateNotes: Bool?, enabled: Bool?, source: ActionSource
    ) async throws -> WebhookSubscription {
        let checked = try url.map { raw throws(WebhookError) in try checkURL(raw) }
        let events = try names.map { list throws(WebhookError) in try Self.events(list) }
        var detail: [String: String] = [:]
        if let checked { detail["url"] = checked }
        if let names { detail["events"] = names.joined(separator: ",") }
        if let enabled { detail["enabled"] = String(enabled) }
        do {
            let updated = try await store.updateWebhook(
                id: id, url: checked, events: events, includePrivateNotes: includePrivateNotes, enabled: enabled,
                audit: source.audit("webhook.updated", subjectKind: "webhook", subjectId: id, detail: detail))
            if enabled == true { wakeSender() }
            return updated
        } catch StoreError.notFound {
            throw WebhookError.notFound("webhook")
        }
    }

    /// A new secret; the previous one signs too for `rotationOverlap`.
    public func rotate(id: String, source: ActionSource) async throws -> (subscription: WebhookSubscription, secret: String) {
        let secret = WebhookSecret.generate()
        do {
            let subscription = try await store.rotateWebhookSecret(
                id: id, secretSealed: try box.seal(secret.text), previousUntil: now().addingTimeInterval(Self.rotationOverlap),
                audit: source.audit("webhook.secret_rotated", subjectKind: "webhook", subjectId: id))
            return (subscription, secret.text)
        } catch StoreError.notFound {
            throw WebhookError.notFound("webhook")
        }
    }

    public func delete(id: String, source: ActionSource) async throws {
        do {
            try await store.deleteWebhook(id: id, audit: source.audit("webhook.deleted", subjectKind: "webhook", subjectId: id))
        } catch StoreError.notFound {
            throw WebhookError.notFound("webhook")
        }
    }

    public func subscription(id: String) async throws -> WebhookSubscription {
        guard let found = try await store.webhookSubscription(id: id) else { throw WebhookError.notFound("webhook") }
        return found
    }

    public func list() async throws -> [WebhookSubscription] { try await store.webhookSubscriptions() }

    public func deliveries(of id: String, status: WebhookDeliveryStatus?, limit: Int) async throws -> [WebhookDelivery] {
        _ = try await subscription(id: id)
        return try await store.webhookDeliveries(subscriptionId: id, status: status, limit: limit)
    }

    public func replay(_ deliveryId: String, of id: String) async throws -> WebhookDelivery {
        _ = try await subscription(id: id)
        guard let delivery = try await store.replayWebhookDelivery(subscriptionId: id, id: deliveryId, at: now()) else {
            throw WebhookError.notFound("delivery")
        }
        wakeSender()
        return delivery
    }

    public func replayFailed(of id: String) async throws -> Int {
        _ = try await subscription(id: id)
        let count = try await store.replayFailedWebhookDeliveries(subscriptionId: id, at: now())
        wakeSender()
        return count
    }
}
