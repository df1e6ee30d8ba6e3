import NIOCore
import Synchronization

/// Every message of one measured stretch (a "step"): when it was due, when the generator sent
/// it, when its `ack` came back, when the first agent feed and when the last feed received it.
/// Times are monotonic nanoseconds; latency counts from when a message was *due*, so a late
/// generator shows as latency instead of hiding it (open loop, no coordinated omission).
final class ChatLedger: Sendable {
    private struct Book {
        var step = 0
        var visitors = 0
        var perVisitor = 0
        var feeds = 0
        var due: [UInt64] = []
        var acked: [UInt64] = []
        var firstFeed: [UInt64] = []
        var allFeeds: [UInt64] = []
        var deliveries: [UInt16] = []
        var sent = 0
        var ackCount = 0
        var deliveredCount = 0
        var completeCount = 0
        var errors = 0
        var strays = 0
        var maxLag: UInt64 = 0
    }

    private let book = Mutex(Book())

    func begin(step: Int, visitors: Int, perVisitor: Int, feeds: Int) {
        book.withLock { book in
            let count = visitors * perVisitor
            book = Book(step: step, visitors: visitors, perVisitor: perVisitor, feeds: feeds)
            book.due = .init(repeating: 0, count: count)
            book.acked = .init(repeating: 0, count: count)
            book.firstFeed = .init(repeating: 0, count: count)
            book.allFeeds = .init(repeating: 0, count: count)
            book.deliveries = .init(repeating: 0, count: count)
        }
    }

    private static func slot(_ tag: MessageTag, in book: Book) -> Int? {
        guard tag.step == book.step, tag.visitor < book.visitors, tag.number < book.perVisitor else { return nil }
        return tag.visitor * book.perVisitor + tag.number
    }

    func sent(_ tag: MessageTag, due: UInt64, at now: UInt64) {
        book.withLock { book in
            guard let slot = Self.slot(tag, in: book) else { return }
            book.due[slot] = due
            book.sent += 1
            book.maxLag = max(book.maxLag, now &- due)
        }
    }

    func acked(_ tag: MessageTag, at now: UInt64) {
        book.withLock { book in
            guard let slot = Self.slot(tag, in: book), book.acked[slot] == 0 else {
                book.strays += 1
                return
            }
            book.acked[slot] = now
            book.ackCount += 1
        }
    }

    func delivered(_ tag: MessageTag, at now: UInt64) {
        book.withLock { book in
            guard let slot = Self.slot(tag, in: book) else {
                book.strays += 1
                return
            }
            book.deliveries[slot] += 1
            if book.deliveries[slot] == 1 {
                book.firstFeed[slot] = now
                book.deliveredCount += 1
            }
            if Int(book.deliveries[slot]) == book.feeds {
                book.allFeeds[slot] = now
                book.completeCount += 1
            }
        }
    }

    func error() { book.withLock { $0.errors += 1 } }

    /// Whether every sent message is acknowledged and on every feed.
    var settled: Bool {
        book.withLock { $0.sent == $0.due.count && $0.ackCount == $0.sent && $0.completeCount == $0.sent }
    }

    func result(rate: Double, seconds: Double, start: UInt64) -> ChatStep {
        book.withLock { book in
            var ack: [UInt64] = []
            var first: [UInt64] = []
            var all: [UInt64] = []
            var lastDelivery: UInt64 = start
            for slot in book.due.indices where book.due[slot] != 0 {
                let due = book.due[slot]
                if book.acked[slot] != 0 { ack.append(book.acked[slot] &- due) }
                if book.firstFeed[slot] != 0 {
                    first.append(book.firstFeed[slot] &- due)
                    lastDelivery = max(lastDelivery, book.firstFeed[slot])
                }
                if book.allFeeds[slot] != 0 { all.append(book.allFeeds[slot] &- due) }
            }
            let span = Double(lastDelivery &- start) / 1e9
            return ChatStep(
                targetRate: rate, seconds: seconds, sent: book.sent, acked: book.ackCount, delivered: book.deliveredCount,
                deliveredToEveryFeed: book.completeCount, undelivered: book.sent - book.deliveredCount, errorFrames: book.errors,
                strayFrames: book.strays, deliveredPerSecond: span > 0 ? (Double(book.deliveredCount) / span).rounded() : 0,
                ackLatency: LatencySummary(nanoseconds: ack), deliveryLatency: LatencySummary(nanoseconds: first),
                everyFeedLatency: LatencySummary(nanoseconds: all), generatorLagMaxMs: (Double(book.maxLag) / 1e4).rounded() / 100,
                feedFailures: 0, cpuCores: nil)
        }
    }
}

/// One measured stretch at one target rate.
struct ChatStep: Codable {
    let targetRate: Double
    let seconds: Double
    let sent: Int
    let acked: Int
    /// Reached at least one agent feed.
    let delivered: Int
    let deliveredToEveryFeed: Int
    /// Sent but on no feed when the wait after the last send ended (late or lost: a longer
    /// `--drain-seconds` tells which).
    let undelivered: Int
    let errorFrames: Int
    /// Frames naming a message of another step or one already counted.
    let strayFrames: Int
    let deliveredPerSecond: Double
    /// Due → the visitor's `ack` (stored and committed).
    let ackLatency: LatencySummary
    /// Due → the first agent feed (the figure issue 17's target is about).
    let deliveryLatency: LatencySummary
    /// Due → the last of the agent feeds.
    let everyFeedLatency: LatencySummary
    let generatorLagMaxMs: Double
    var feedFailures: Int
    var cpuCores: CPUShare?

    func meets(p99Limit: Double) -> Bool {
        undelivered == 0 && errorFrames == 0 && feedFailures == 0 && acked == sent && deliveryLatency.p99 < p99Limit
    }

    var text: String {
        """
          target \(Int(targetRate)) msg/s for \(seconds) s: sent \(sent), acked \(acked), delivered \(delivered) \
        (to every feed \(deliveredToEveryFeed)), undelivered after the drain \(undelivered), error frames \(errorFrames), feed failures \(feedFailures), \
        carried \(Int(deliveredPerSecond)) msg/s
            visitor → first agent feed: \(deliveryLatency.text)
            visitor → every feed:       \(everyFeedLatency.text)
            visitor → ack:              \(ackLatency.text)
            generator lag max \(generatorLagMaxMs) ms; CPU cores server \(cpuCores?.server.map { "\($0)" } ?? "?"), \
        generator \(cpuCores?.generator.map { "\($0)" } ?? "?")
        """
    }
}

/// Sends every visitor's messages at their due times: message `n` of visitor `v` is due at
/// `start + (v + n·V) / R`, so the visitors together send R a second, evenly spread, whatever
/// the answers do (open loop). Each send schedules the visitor's next on its socket's loop.
struct ChatPacer: Sendable {
    let visitors: [any Channel]
    let ledger: ChatLedger
    let step: Int
    let rate: Double
    let perVisitor: Int
    let start: NIODeadline

    func launch() {
        for visitor in visitors.indices { schedule(visitor: visitor, number: 0) }
    }

    private func schedule(visitor: Int, number: Int) {
        let offset = Double(visitor + number * visitors.count) / rate
        let due = start + .nanoseconds(Int64(offset * 1e9))
        let channel = visitors[visitor]
        channel.eventLoop.scheduleTask(deadline: due) {
            let tag = MessageTag(step: step, visitor: visitor, number: number)
            ledger.sent(tag, due: due.uptimeNanoseconds, at: NIODeadline.now().uptimeNanoseconds)
            WebSocketPeer.send(
                #"{"type":"message","clientMsgId":"\#(tag.clientMsgId)","text":"visitor \#(visitor) message \#(number) 我的提现还没到账"}"#,
                on: channel)
            if number + 1 < perVisitor { schedule(visitor: visitor, number: number + 1) }
        }
    }
}
