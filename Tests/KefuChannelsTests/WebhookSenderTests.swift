import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Logging
import Testing

@testable import KefuChannels

/// Where a webhook really goes is checked when it is sent: a name that resolves inside the
/// network is refused then, whatever it looked like when the subscription was made.
@Suite struct WebhookSenderTests {
    @Test func aNameThatResolvesToLoopbackIsRefusedAtDelivery() async throws {
        try await withTestStore(.sqlite) { store in
            let key = Data(repeating: 7, count: 32)
            let webhooks = Webhooks(store: store, secretKey: key, allowPrivate: true)
            // Made while private targets were allowed (or resolving elsewhere back then).
            let made = try await webhooks.create(url: "http://localhost:9/hook", events: ["message.created"], includePrivateNotes: false, source: .system)
            let sender = WebhookSender(
                store: store, secretKey: key, allowPrivate: false, wakeups: AsyncStream { _ in }, logger: Logger(label: "test"))
            let delivery = WebhookDelivery(
                id: "msg_1", subscriptionId: made.subscription.id, eventType: .messageCreated, body: "{}", status: .sending, attempts: 1,
                nextAttemptAt: Date(), responseStatus: nil, latencyMs: nil, responseExcerpt: nil, lastError: nil, createdAt: Date(), deliveredAt: nil)
            let attempt = await sender.attempt(delivery, to: made.subscription)
            #expect(attempt.error?.contains("not a public address") == true, "\(attempt)")
            if case .retry = attempt.outcome {} else { Issue.record("expected a retry, got \(attempt.outcome)") }
            #expect(attempt.responseStatus == nil)
            await sender.clients.shutdown()
        }
    }
}
