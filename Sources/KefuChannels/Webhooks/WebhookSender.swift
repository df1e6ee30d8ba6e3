import AsyncHTTPClient
import Foundation
import KefuAccounts
import KefuCore
import KefuStore
import Logging
import NIOCore
import ServiceLifecycle

/// Sends queued webhook deliveries: signed the Standard Webhooks way, 15 s each, retried with
/// exponential backoff and jitter for about three days. An endpoint that answers 410 Gone, or
/// keeps failing for five days, is disabled (admins see it in the console; deliveries wait and
/// can be replayed).
///
/// Kefu resolves the URL's host itself, refuses loopback, private and link-local addresses
/// (unless `allowPrivate`), and then connects to exactly the address it checked, so a name that
/// resolves differently a moment later cannot redirect the request inside the network.
public struct WebhookSender: Service {
    let store: any WebhookRepository
    let box: SecretBox
    let allowPrivate: Bool
    let clients: PinnedClients
    let wakeups: AsyncStream<Void>
    let logger: Logger
    let now: @Sendable () -> Date
    let pollInterval: Duration

    /// Waits after attempts 1, 2, …: seconds, then minutes, then hours (about three days in all).
    static let delays: [TimeInterval] = [5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000]
    static var maxAttempts: Int { delays.count + 1 }
    static let timeout: TimeAmount = .seconds(15)
    static let lease: TimeInterval = 60
    static let disableAfter: TimeInterval = 5 * 86400
    /// Deliveries in flight at once.
    static let concurrency = 16

    public init(
        store: any WebhookRepository, secretKey: Data, allowPrivate: Bool, wakeups: AsyncStream<Void>, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }, pollInterval: Duration = .seconds(1)
    ) {
        self.store = store
        self.box = Webhooks.secretBox(secretKey)
        self.allowPrivate = allowPrivate
        self.clients = PinnedClients()
        self.wakeups = wakeups
        self.logger = logger
        self.now = now
        self.pollInterval = pollInterval
    }

    /// The wait after attempt `attempt`, with ±20 % jitter so failed endpoints are not hit in step.
    static func delay(afterAttempt attempt: Int) -> TimeInterval {
        let base = delays[min(max(attempt, 1), delays.count) - 1]
        return base * Double.random(in: 0.8...1.2)
    }

    public func run() async throws {
        await runWorkTicks(wakeups: wakeups, every: pollInterval) { await sendDue() }
        await clients.shutdown()
    }

    /// Sends every due delivery, several at a time (also used by tests).
    public func sendDue() async {
        while !Task.isCancelled {
            let batch: [WebhookDelivery]
            do {
                // As many as go out at once, so each starts right away and ends inside its lease
                // (a batch of four rounds could outlast it; another instance then sent them again).
                batch = try await store.claimDueWebhookDeliveries(now: now(), lease: Self.lease, limit: Self.concurrency)
            } catch {
                logger.error("could not read the webhook queue", metadata: ["error": "\(DatabaseFailure.logged(error))"])
                return
            }
            if batch.isEmpty { return }
            await withTaskGroup(of: Void.self) { group in
                var next = batch.makeIterator()
                for _ in 0..<Self.concurrency {
                    guard let delivery = next.next() else { break }
                    group.addTask { await send(delivery) }
                }
                while await group.next() != nil {
                    if let delivery = next.next() { group.addTask { await send(delivery) } }
                }
            }
        }
    }

    func send(_ delivery: WebhookDelivery) async {
        do {
            guard let subscription = try await store.webhookSubscription(id: delivery.subscriptionId) else { return }
            let attempt = await attempt(delivery, to: subscription)
            // A sender that stalled past its lease (another took the delivery over) records nothing.
            guard try await store.recordWebhookAttempt(delivery, attempt, at: now()) else {
                logger.warning("webhook delivery was taken over by another sender meanwhile", metadata: ["id": "\(delivery.id)"])
                return
            }
            if attempt.responseStatus == 410 {
                try await store.disableWebhook(id: subscription.id, reason: "the endpoint answered 410 Gone")
                logger.warning("webhook disabled: 410 Gone", metadata: ["webhook": "\(subscription.id)"])
            } else if attempt.outcome != .delivered, let since = subscription.failingSince, now().timeIntervalSince(since) > Self.disableAfter {
                try await store.disableWebhook(id: subscription.id, reason: "deliveries failed for five days")
                logger.warning("webhook disabled after five days of failures", metadata: ["webhook": "\(subscription.id)"])
            }
        } catch {
            logger.error("webhook bookkeeping failed", metadata: ["delivery": "\(delivery.id)", "error": "\(DatabaseFailure.logged(error))"])
        }
    }

    /// One attempt: where it went, what came back, and what happens next.
    func attempt(_ delivery: WebhookDelivery, to subscription: WebhookSubscription) async -> WebhookAttempt {
        func retryOrFail(_ status: Int? = nil, excerpt: String? = nil, latency: Int? = nil, error: String?) -> WebhookAttempt {
            let outcome: WebhookAttempt.Outcome =
                status == 410 || delivery.attempts >= Self.maxAttempts
                ? .failed : .retry(at: now().addingTimeInterval(Self.delay(afterAttempt: delivery.attempts)))
            return WebhookAttempt(outcome: outcome, responseStatus: status, latencyMs: latency, responseExcerpt: excerpt, error: error)
        }
        guard let url = WebhookAddress.validURL(subscription.url), let host = url.host else { return retryOrFail(error: "not a valid URL") }
        let addresses = await WebhookResolver.addresses(of: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
        guard let address = addresses.first else { return retryOrFail(error: "\(host) does not resolve") }
        if !allowPrivate, let refused = addresses.first(where: { !WebhookAddress.isPublic($0) }) {
            return retryOrFail(error: "refused: \(host) resolves to \(refused), which is not a public address")
        }
        let secrets: [WebhookSecret]
        do {
            secrets = try Webhooks.signingSecrets(of: subscription, box: box, now: now())
        } catch {
            return retryOrFail(error: "the signing secret cannot be read")
        }
        let body = Data(delivery.body.utf8)
        let timestamp = Int64(now().timeIntervalSince1970)
        var request = HTTPClientRequest(url: subscription.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Kefu-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: WebhookSignature.sign(id: delivery.id, timestamp: timestamp, body: body, secrets: secrets))
        request.body = .bytes(ByteBuffer(data: body))
        let started = ContinuousClock.now
        let client = await clients.client(host: host, address: address)
        let prepared = request
        let exchange: Result<(status: Int, answer: String), any Error>
        do {
            exchange = .success(
                try await withTimeLimit(.seconds(15)) {
                    let response = try await client.execute(prepared, timeout: Self.timeout)
                    let body = (try? await response.body.collect(upTo: 64 << 10)).map { String(decoding: Data(buffer: $0), as: UTF8.self) } ?? ""
                    return (Int(response.status.code), body)
                })
        } catch {
            exchange = .failure(error)
        }
        await clients.release(host: host, address: address)
        let latency = Int((ContinuousClock.now - started) / .milliseconds(1))
        switch exchange {
        case .success(let (status, answer)):
            let excerpt = String(answer.prefix(500))
            if (200..<300).contains(status) {
                return WebhookAttempt(outcome: .delivered, responseStatus: status, latencyMs: latency, responseExcerpt: excerpt)
            }
            return retryOrFail(status, excerpt: excerpt, latency: latency, error: "HTTP \(status)")
        case .failure(let error):
            return retryOrFail(latency: latency, error: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if error is TimeLimitExceeded { return "timed out after 15 s" }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout { return "timed out after 15 s" }
        return "could not connect: \(String(describing: type(of: error)))"
    }
}

/// HTTP clients that connect a host name to one checked address (AsyncHTTPClient's DNS
/// override keeps the name for TLS and the Host header), kept for reuse. A client is retired
/// only when no delivery is using it, and shut down outside the table's bookkeeping.
actor PinnedClients {
    private struct Entry {
        let client: HTTPClient
        var used: ContinuousClock.Instant
        var inFlight: Int
    }

    private var clients: [String: Entry] = [:]
    static let kept = 32

    /// A client for `host` pinned to `address`; give it back with `release` when done.
    func client(host: String, address: String) async -> HTTPClient {
        let key = "\(host)|\(address)"
        if var found = clients[key] {
            found.used = .now
            found.inFlight += 1
            clients[key] = found
            return found.client
        }
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.dnsOverride = [host: address]
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(15))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        clients[key] = Entry(client: client, used: .now, inFlight: 1)
        // The table is settled before anything is awaited; then idle extras are shut down.
        var retired: [HTTPClient] = []
        while clients.count > Self.kept, let idle = clients.filter({ $0.value.inFlight == 0 }).min(by: { $0.value.used < $1.value.used }) {
            retired.append(idle.value.client)
            clients[idle.key] = nil
        }
        for old in retired { try? await old.shutdown() }
        return client
    }

    func release(host: String, address: String) {
        let key = "\(host)|\(address)"
        clients[key]?.inFlight -= 1
    }

    func shutdown() async {
        let all = clients.values.map(\.client)
        clients = [:]
        for client in all { try? await client.shutdown() }
    }
}
