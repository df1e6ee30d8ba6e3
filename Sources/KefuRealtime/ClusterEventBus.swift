import Foundation
import KefuCore
import KefuStore
import Logging
import ServiceLifecycle
import Synchronization

/// How instances wake each other: PostgreSQL NOTIFY to send, one dedicated LISTEN connection per
/// instance to hear (a transaction pool would drop the LISTEN between uses).
public protocol BusSignals: Sendable {
    func send(_ payloads: [String]) async throws
    /// Listens until cancelled, connecting again after a drop. `connected` runs after every
    /// (re)connection: notices sent while no connection listened are lost, the caller catches up.
    func listen(connected: @escaping @Sendable () async -> Void, received: @escaping @Sendable (String) async -> Void) async
}

/// A stored message by its place: its id (time-ordered), its conversation and seq.
public struct StoredMessageKey: Sendable, Hashable {
    public let id: String
    public let conversationId: ConversationID
    public let seq: Int64

    public init(id: String, conversationId: ConversationID, seq: Int64) {
        self.id = id
        self.conversationId = conversationId
        self.seq = seq
    }
}

/// The store as the bus reads it: messages by place, and the places of recent ones.
public protocol StoredEventSource: Sendable {
    /// The messages at these (conversation, seq) places as events, in no particular order.
    func messageEvents(at places: [(ConversationID, Int64)]) async throws -> [ConversationEvent]
    /// Messages written at or after `since`, by id, after the id `after`; at most `limit`.
    func messageKeys(writtenSince since: Date, after: String?, limit: Int) async throws -> [StoredMessageKey]
}

/// The event bus of several instances on one PostgreSQL. Subscribers are local (an `EventHub`);
/// a publish reaches them at once and wakes the other instances with a NOTIFY that names the
/// event, never its content. An instance that hears a notice reads the stored messages it names
/// and publishes them to its own subscribers. Notices are lost when the listening connection
/// drops or an instance dies between its commit and its NOTIFY, so a poll reads the places of
/// recently written messages every `pollInterval` and publishes those not seen yet.
///
/// What subscribers get is what one instance gives them: every stored message once, in seq
/// order per conversation; a later seq that arrives first makes a socket read the ones before it
/// from the store (`ReplayCursor.missing`), and a late earlier seq is then not published again.
public final class ClusterEventBus: EventBus, Service, Sendable {
    public let instance: String
    let local: EventHub
    let signals: any BusSignals
    let source: any StoredEventSource
    let pollInterval: Duration
    /// How far before the last poll the next one looks: a message's time is taken before its
    /// transaction commits, so one that committed late is still found.
    let commitMargin: TimeInterval
    let logger: Logger

    /// Notices waiting to be sent; bounded, because a stalled server must not grow it for ever
    /// (a dropped message notice is found by the poll; a dropped typing notice is only late news).
    private let outgoing = Mutex<[BusNotice.Wakeup]>([])
    static let maxOutgoing = 20_000
    private let (sendTicks, sendTick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    private let (pollTicks, pollTick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    private let seen = Mutex(PublishedSeqs())
    private let settingHandlers = Mutex<[@Sendable (String) async -> Void]>([])

    public init(
        instance: String = TimeOrderedUUID.make(), local: EventHub = EventHub(), signals: any BusSignals, source: any StoredEventSource,
        pollInterval: Duration = .seconds(2), commitMargin: TimeInterval = 10, logger: Logger
    ) {
        self.instance = instance
        self.local = local
        self.signals = signals
        self.source = source
        self.pollInterval = pollInterval
        self.commitMargin = commitMargin
        self.logger = logger
    }

    public func subscribe(_ topics: Set<EventTopic>) -> AsyncThrowingStream<ConversationEvent, any Error> {
        local.subscribe(topics)
    }

    public func publish(_ event: ConversationEvent) {
        local.publish(event)
        if let seq = event.seq { seen.withLock { $0.record(event.conversationId, seq) } }
        let queued = outgoing.withLock { queue in
            guard queue.count < Self.maxOutgoing else { return false }
            queue.append(BusNotice.Wakeup(event))
            return true
        }
        if queued { sendTick.yield() } else { logger.warning("bus notice dropped: the server is not taking them") }
    }

    public func settingChanged(_ key: String) {
        // Rare and small: sent in a notice of its own, beside the event notices.
        pendingSettings.withLock { $0.append(key) }
        sendTick.yield()
    }

    public func whenSettingChanges(_ handler: @escaping @Sendable (String) async -> Void) {
        settingHandlers.withLock { $0.append(handler) }
    }

    private let pendingSettings = Mutex<[String]>([])

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sendNotices() }
            group.addTask {
                await self.signals.listen(connected: { self.pollTick.yield() }, received: { await self.receive($0) })
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.pollInterval)
                    self.pollTick.yield()
                }
            }
            group.addTask { await self.catchUpWhenTicked() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        // What was published during the shutdown still wakes the others.
        await sendPending()
    }

    // MARK: Sending

    private func sendNotices() async {
        for await _ in sendTicks {
            await sendPending()
        }
    }

    private func sendPending() async {
        let batch = outgoing.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        let settings = pendingSettings.withLock { keys in
            defer { keys.removeAll() }
            return keys
        }
        if !settings.isEmpty, let data = try? JSONEncoder().encode(BusNotice(from: instance, events: [], settings: settings)) {
            do {
                try await signals.send([String(decoding: data, as: UTF8.self)])
            } catch {
                logger.warning("setting change not announced; others read it again within their cache's freshness", metadata: ["error": "\(DatabaseFailure.logged(error))"])
            }
        }
        guard !batch.isEmpty else { return }
        do {
            try await signals.send(BusNotice.payloads(from: instance, batch))
        } catch {
            logger.warning("bus notices not sent; other instances catch up by polling", metadata: ["error": "\(DatabaseFailure.logged(error))", "events": "\(batch.count)"])
        }
    }

    // MARK: Receiving

    /// Publishes what another instance's notice names, in its order.
    func receive(_ payload: String) async {
        guard let notice = BusNotice.decode(payload), notice.from != instance else { return }
        if let keys = notice.settings {
            let handlers = settingHandlers.withLock { $0 }
            for key in keys { for handler in handlers { await handler(key) } }
        }
        let places = notice.events.compactMap(\.storedMessage)
        var stored: [ConversationID: [Int64: ConversationEvent]] = [:]
        if !places.isEmpty {
            do {
                for event in try await source.messageEvents(at: places) {
                    if let seq = event.seq { stored[event.conversationId, default: [:]][seq] = event }
                }
            } catch {
                // The poll publishes them in a moment.
                logger.warning("bus: stored messages not read", metadata: ["error": "\(DatabaseFailure.logged(error))"])
            }
        }
        for wakeup in notice.events {
            if let event = wakeup.ephemeralEvent {
                local.publish(event)
            } else if let place = wakeup.storedMessage, let event = stored[place.conversation]?[place.seq] {
                publishIfNew(event)
            }
        }
    }

    private func publishIfNew(_ event: ConversationEvent) {
        guard let seq = event.seq, seen.withLock({ $0.admit(event.conversationId, seq) }) else { return }
        local.publish(event)
    }

    // MARK: Catching up

    private func catchUpWhenTicked() async {
        var since = Date().addingTimeInterval(-commitMargin)
        for await _ in pollTicks {
            let started = Date()
            do {
                try await catchUp(since: since.addingTimeInterval(-commitMargin))
                since = started
                seen.withLock { $0.forget(before: started.addingTimeInterval(-10 * commitMargin)) }
            } catch {
                logger.warning("bus: catch-up poll failed", metadata: ["error": "\(DatabaseFailure.logged(error))"])
            }
        }
    }

    /// Publishes every message written since `since` that this instance has not published.
    func catchUp(since: Date) async throws {
        var after: String?
        while !Task.isCancelled {
            let keys = try await source.messageKeys(writtenSince: since, after: after, limit: 2_000)
            let unseen = seen.withLock { seen in keys.filter { seen.isNew($0.conversationId, $0.seq) } }
            if !unseen.isEmpty {
                let events = try await source.messageEvents(at: unseen.map { ($0.conversationId, $0.seq) })
                for event in events.sorted(by: Self.storeOrder) { publishIfNew(event) }
            }
            guard keys.count == 2_000, let last = keys.last else { return }
            after = last.id
        }
    }

    private static func storeOrder(_ a: ConversationEvent, _ b: ConversationEvent) -> Bool {
        if a.conversationId != b.conversationId { return a.conversationId.rawValue < b.conversationId.rawValue }
        return (a.seq ?? 0) < (b.seq ?? 0)
    }
}

/// The highest seq this instance has published per conversation, and when, so that a poll
/// publishes only what no notice brought and the table forgets quiet conversations.
struct PublishedSeqs: Sendable {
    private var highest: [ConversationID: (seq: Int64, at: Date)] = [:]

    func isNew(_ conversation: ConversationID, _ seq: Int64) -> Bool {
        seq > (highest[conversation]?.seq ?? 0)
    }

    mutating func record(_ conversation: ConversationID, _ seq: Int64, at date: Date = Date()) {
        if isNew(conversation, seq) { highest[conversation] = (seq, date) }
    }

    /// Whether `seq` is new; records it when it is.
    mutating func admit(_ conversation: ConversationID, _ seq: Int64, at date: Date = Date()) -> Bool {
        guard isNew(conversation, seq) else { return false }
        highest[conversation] = (seq, date)
        return true
    }

    mutating func forget(before date: Date) {
        highest = highest.filter { $0.value.at >= date }
    }

    var count: Int { highest.count }
}
