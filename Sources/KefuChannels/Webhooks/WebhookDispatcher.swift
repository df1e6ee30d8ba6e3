import Foundation
import KefuCore
import KefuStore
import Logging
import ServiceLifecycle

/// Turns the outbound event journal into deliveries: each event, in order, becomes one
/// delivery per active subscription that wants it, queued in the transaction that removes the
/// event from the journal (so an event is fanned out exactly once, whichever instance takes it).
public struct WebhookDispatcher: Service {
    public typealias Repositories = WebhookRepository & WebhookPayloads.Repositories

    let store: any Repositories
    let payloads: WebhookPayloads
    let wakeups: AsyncStream<Void>
    let delivered: @Sendable () -> Void
    let logger: Logger
    let interval: Duration

    public init(
        store: any Repositories, wakeups: AsyncStream<Void>, delivered: @escaping @Sendable () -> Void, logger: Logger,
        interval: Duration = .milliseconds(500)
    ) {
        self.store = store
        self.payloads = WebhookPayloads(store: store)
        self.wakeups = wakeups
        self.delivered = delivered
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        await runWorkTicks(wakeups: wakeups, every: interval) { await dispatchPending() }
    }

    /// Fans out everything in the journal (also used by tests). An event whose body cannot be
    /// built is logged and dropped, so it cannot hold back the ones after it.
    public func dispatchPending() async {
        while !Task.isCancelled {
            // The journal first: an idle instance asks the database one thing per tick.
            let subscriptions: [WebhookSubscription]
            let events: [OutboundEventRecord]
            do {
                events = try await store.pendingOutboundEvents(limit: 200)
                if events.isEmpty { return }
                subscriptions = try await store.webhookSubscriptions().filter { $0.status == .active }
            } catch {
                logger.error("could not read the webhook journal", metadata: ["error": "\(DatabaseFailure.logged(error))"])
                return
            }
            var deliveries: [Int64: [NewWebhookDelivery]] = [:]
            for event in events {
                deliveries[event.seq] = []
                let wanting = subscriptions.filter { $0.wants(event) }
                guard event.detail["unknown"] == nil, !wanting.isEmpty else { continue }
                do {
                    guard let body = try await payloads.body(for: event) else { continue }
                    deliveries[event.seq] = wanting.map { NewWebhookDelivery(subscriptionId: $0.id, eventType: event.type, body: body) }
                } catch {
                    logger.error("a webhook event was dropped", metadata: ["type": "\(event.type.rawValue)", "seq": "\(event.seq)", "error": "\(DatabaseFailure.logged(error))"])
                }
            }
            do {
                try await store.fanOut(deliveries)
            } catch {
                logger.error("could not fan out webhook events", metadata: ["error": "\(DatabaseFailure.logged(error))"])
                return
            }
            if deliveries.values.contains(where: { !$0.isEmpty }) { delivered() }
        }
    }
}
