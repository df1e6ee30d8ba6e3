import BenchSupport
import Benchmark
import Foundation
import KefuCore
import KefuRisk
import KefuStore
import SQLKit
import Synchronization

// Issue 17's write targets: one caller's message append next to one raw insert made the same
// way (one write transaction through Kefu's SQLite writer), and 64 callers at once, each
// answered only after the commit that holds its write. Each run stores 1,000 rows; the figures
// are per row (`scalingFactor: .kilo`), so throughput reads as rows a second.

/// A store with one conversation per caller, and a raw table for the baseline.
struct ThroughputStore: Sendable {
    let seeded: SeededStore
    let conversations: [ConversationID]

    static func make(callers: Int) async throws -> ThroughputStore {
        let seeded = try await SeededStore.make(messages: 0)
        var conversations: [ConversationID] = []
        let inbox = try await seeded.store.createInbox(name: "Throughput", kind: .webchat, audit: nil)
        for caller in 0..<callers {
            let contact = try await seeded.store.createContact(name: "Visitor \(caller)", email: nil, locale: "zh-CN")
            conversations.append(try await seeded.store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil).id)
        }
        try await seeded.database.write { sql in
            try await sql.raw("CREATE TABLE raw (id TEXT PRIMARY KEY, seq INTEGER, body TEXT, created_at INTEGER)").run()
        }
        return ThroughputStore(seeded: seeded, conversations: conversations)
    }

    func rawInsert(_ index: Int) async throws {
        try await seeded.database.write { sql in
            try await sql.raw(
                "INSERT INTO raw (id, seq, body, created_at) VALUES (\(bind: UUID().uuidString), \(bind: index), \(bind: "您好，我的提现还没有到账。"), \(bind: Int(Date().timeIntervalSince1970)))"
            ).run()
        }
    }

    func append(caller: Int) async throws {
        _ = try await seeded.store.appendMessage(
            conversationId: conversations[caller],
            NewMessage(direction: .incoming, author: .system, text: "您好，我的提现还没有到账。", clientMessageId: UUID().uuidString))
    }

    /// Stops the run unless every row the benchmark was told it stored is there.
    func verify(rawRows: Int, messages: Int) async throws {
        let (raw, stored) = try await seeded.database.read { sql in
            (
                try await sql.raw("SELECT COUNT(*) AS n FROM raw").first()?.decode(column: "n", as: Int.self) ?? -1,
                try await sql.raw("SELECT COUNT(*) AS n FROM messages").first()?.decode(column: "n", as: Int.self) ?? -1
            )
        }
        let statistics = seeded.database.writeStatistics
        let checkpoints = seeded.database.checkpoints
        FileHandle.standardError.write(Data(
            "writer: \(statistics.bodies) writes in \(statistics.groups) transactions (largest \(statistics.largestGroup)); checkpoints \(checkpoints.done)\n".utf8))
        guard raw == rawRows, stored == messages else {
            stopRun("the run acknowledged \(rawRows) inserts and \(messages) appends; the database holds \(raw) and \(stored)")
        }
    }
}

/// Counts acknowledged writes across a benchmark's runs, for the teardown's check.
final class Acknowledged: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ value: Int) { count.add(value, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

func throughputBenchmarks() {
    let perRow = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(5),
        maxIterations: 200)
    for callers in [1, 64] {
        let raw = Prepared<ThroughputStore>()
        let rawCount = Acknowledged()
        Benchmark("baseline: raw SQLite insert through Kefu's writer, \(callers) caller\(callers == 1 ? "" : "s")", configuration: perRow) {
            benchmark in
            let store = raw.value!
            _ = try await concurrently(callers: callers, total: benchmark.scaledIterations.count) { _, index in
                try await store.rawInsert(index)
                rawCount.add(1)
            }
        } setup: {
            raw.value = try await ThroughputStore.make(callers: callers)
        } teardown: {
            try await raw.value?.verify(rawRows: rawCount.value, messages: 0)
            try await raw.value?.seeded.close()
        }

        let append = Prepared<ThroughputStore>()
        let appended = Acknowledged()
        Benchmark("store: append message, \(callers) caller\(callers == 1 ? "" : "s")", configuration: perRow) { benchmark in
            let store = append.value!
            _ = try await concurrently(callers: callers, total: benchmark.scaledIterations.count) { caller, _ in
                try await store.append(caller: caller)
                appended.add(1)
            }
        } setup: {
            append.value = try await ThroughputStore.make(callers: callers)
        } teardown: {
            try await append.value?.verify(rawRows: 0, messages: appended.value)
            try await append.value?.seeded.close()
        }
    }
}

/// Per-decision latencies of one run, for the p99 the issue asks about (the harness itself sees
/// only whole runs of 1,000).
final class LatencyRecorder: Sendable {
    private let samples = Mutex<[Int]>([])
    func record(_ duration: Duration) {
        let nanoseconds = Int(duration.components.seconds) * 1_000_000_000 + Int(duration.components.attoseconds / 1_000_000_000)
        samples.withLock { $0.append(nanoseconds) }
    }
    /// The run's percentile in microseconds, and a fresh start for the next run.
    func take(_ fraction: Double) -> Int {
        let sorted = samples.withLock { samples -> [Int] in
            defer { samples = [] }
            return samples.sorted()
        }
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))] / 1_000
    }
}

func concurrentDecisionBenchmarks() {
    let p99 = BenchmarkMetric.custom("decision p99 (µs)", polarity: .prefersSmaller, useScalingFactor: false)
    let perDecision = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, p99], warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 200)
    let riskPolicy = RiskPolicy.standard
    for callers in [1, 64] {
        let riskStore = Prepared<SeededStore>()
        let rotation = AccountRotation()
        let latencies = LatencyRecorder()
        Benchmark("risk: authorize, \(callers) caller\(callers == 1 ? "" : "s") (1M past authorizations, SQLite)", configuration: perDecision) { benchmark in
            let store = riskStore.value!.store
            _ = try await concurrently(callers: callers, total: benchmark.scaledIterations.count) { _, _ in
                let (account, key) = rotation.next()
                let start = ContinuousClock.now
                try await approveOneDollar(store, account: account, key: key, policy: riskPolicy)
                latencies.record(ContinuousClock.now - start)
            }
            benchmark.measurement(p99, latencies.take(0.99))
        } setup: {
            riskStore.value = try await riskSeeded(perAccount: 100)
        } teardown: {
            try await closeAfterChecking(riskStore.value) { try await rotation.verifySpread(on: $0) }
        }
    }
}
