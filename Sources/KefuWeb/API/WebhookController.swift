import Foundation
import Hummingbird
import KefuChannels
import KefuCore
import KefuStore

/// `/api/v1/webhooks…`: admins' subscriptions to Kefu's events, their delivery logs and replays.
struct WebhookController {
    let webhooks: Webhooks
    let limits: BodyLimits

    struct CreateBody: Decodable {
        let url: String
        let events: [String]
        let includePrivateNotes: Bool?
    }

    struct UpdateBody: Decodable {
        let url: String?
        let events: [String]?
        let includePrivateNotes: Bool?
        let enabled: Bool?
    }

    /// A subscription as admins see it (never its secret, which is shown once).
    struct View: Encodable, Sendable {
        let id: String
        let url: String
        let events: [OutboundEventType]
        let includePrivateNotes: Bool
        let inboxId: InboxID?
        let status: WebhookStatus
        let disabledReason: String?
        let failingSince: Date?
        /// During a rotation: when the previous secret stops signing.
        let previousSecretUntil: Date?
        let createdAt: Date
        let updatedAt: Date

        init(_ subscription: WebhookSubscription) {
            id = subscription.id
            url = subscription.url
            events = subscription.events
            includePrivateNotes = subscription.includePrivateNotes
            inboxId = subscription.inboxId
            status = subscription.status
            disabledReason = subscription.disabledReason
            failingSince = subscription.failingSince
            previousSecretUntil = subscription.previousSecretUntil.flatMap { $0 > Date() ? $0 : nil }
            createdAt = subscription.createdAt
            updatedAt = subscription.updatedAt
        }
    }

    /// The subscription with its new secret: only in the answer that made it.
    struct WithSecret: Encodable, Sendable {
        let subscription: View
        let secret: String

        enum Keys: String, CodingKey { case secret }

        func encode(to encoder: any Encoder) throws {
            try subscription.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(secret, forKey: .secret)
        }
    }

    struct DeliveryView: Encodable, Sendable {
        let id: String
        let eventType: OutboundEventType
        let status: WebhookDeliveryStatus
        let attempts: Int
        let nextAttemptAt: Date?
        let responseStatus: Int?
        let latencyMs: Int?
        let responseExcerpt: String?
        let lastError: String?
        let createdAt: Date
        let deliveredAt: Date?
        /// The exact JSON sent.
        let body: String

        init(_ delivery: WebhookDelivery) {
            id = delivery.id
            eventType = delivery.eventType
            status = delivery.status
            attempts = delivery.attempts
            nextAttemptAt = delivery.status == .queued ? delivery.nextAttemptAt : nil
            responseStatus = delivery.responseStatus
            latencyMs = delivery.latencyMs
            responseExcerpt = delivery.responseExcerpt
            lastError = delivery.lastError
            createdAt = delivery.createdAt
            deliveredAt = delivery.deliveredAt
            body = delivery.body
        }
    }

    struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
        let items: [Item]
    }

    struct ReplayResponse: Encodable, Sendable {
        let replayed: Int
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.post("webhooks", role: .admin) { request, context in
            let body = try await request.decodeJSON(CreateBody.self, limit: limits.small)
            let made = try await webhooks.create(
                url: body.url, events: body.events, includePrivateNotes: body.includePrivateNotes ?? false, source: context.source)
            return JSONResponse(WithSecret(subscription: View(made.subscription), secret: made.secret), status: .created)
        }
        group.get("webhooks", role: .admin) { _, _ in
            JSONResponse(ListResponse(items: try await webhooks.list().map(View.init)))
        }
        group.get("webhooks/{id}", role: .admin) { _, context in
            JSONResponse(View(try await webhooks.subscription(id: try Self.id(context))))
        }
        group.patch("webhooks/{id}", role: .admin) { request, context in
            let body = try await request.decodeJSON(UpdateBody.self, limit: limits.small)
            let updated = try await webhooks.update(
                id: try Self.id(context), url: body.url, events: body.events, includePrivateNotes: body.includePrivateNotes, enabled: body.enabled,
                source: context.source)
            return JSONResponse(View(updated))
        }
        group.delete("webhooks/{id}", role: .admin) { _, context in
            try await webhooks.delete(id: try Self.id(context), source: context.source)
            return Response(status: .noContent)
        }
        group.post("webhooks/{id}/rotate-secret", role: .admin) { _, context in
            let rotated = try await webhooks.rotate(id: try Self.id(context), source: context.source)
            return JSONResponse(WithSecret(subscription: View(rotated.subscription), secret: rotated.secret))
        }
        group.get("webhooks/{id}/deliveries", role: .admin) { request, context in
            let query = QueryReader(request: request)
            var status: WebhookDeliveryStatus?
            if let raw = query.string("status") {
                guard let parsed = WebhookDeliveryStatus(rawValue: raw) else {
                    throw APIError.validation("status", .notOneOf(WebhookDeliveryStatus.allCases.map(\.rawValue)))
                }
                status = parsed
            }
            let limit = Int(try query.int("limit", range: 1...200) ?? 50)
            let items = try await webhooks.deliveries(of: try Self.id(context), status: status, limit: limit)
            return JSONResponse(ListResponse(items: items.map(DeliveryView.init)))
        }
        group.post("webhooks/{id}/deliveries/{delivery}/replay", role: .admin) { _, context in
            let delivery = context.parameters.get("delivery") ?? ""
            let replayed = try await webhooks.replay(delivery, of: try Self.id(context))
            return JSONResponse(DeliveryView(replayed), status: .accepted)
        }
        group.post("webhooks/{id}/replay-failed", role: .admin) { _, context in
            JSONResponse(ReplayResponse(replayed: try await webhooks.replayFailed(of: try Self.id(context))), status: .accepted)
        }
    }

    /// Subscription ids are "wh_" and 32 hex digits; anything else is not one.
    static func id(_ context: AuthenticatedContext) throws -> String {
        guard let id = context.parameters.get("id"), id.hasPrefix("wh_"), id.count == 35, id.dropFirst(3).allSatisfy(\.isHexDigit) else {
            throw APIError.notFound("webhook")
        }
        return id
    }
}
