// Concurrent writers against Kefu's store, outside the benchmark harness: the harness blocks
// one of the two cooperative threads while it waits for an async benchmark, so callers there
// never overlap and group commit never forms a group. Here they run on the whole pool.
//
//   swift run -c release --package-path Benchmarks StoreLoad [--writes N] [--checkpoint-pages 1000,4000]
//
// Each case runs the same number of writes with 1 and with 64 callers; the baseline is a raw
// INSERT through the same writer in the same run. Every acknowledged write is counted in the
// database afterwards, and the run stops if one is missing.
import Foundation
import KefuCore
import KefuStore
import Logging
import SQLKit
import Synchronization

let arguments = CommandLine.arguments
let writes = arguments.firstIndex(of: "--writes").flatMap { Int(arguments[$0 + 1]) } ?? 20_000
var logger = Logger(label: "store-load")
logger.logLevel = .error

struct Figures {
    let perSecond: Double
    let p50: Double
    let p99: Double
}

/// Hands out operation numbers to whichever caller is free.
final class Ticket: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// Runs `total` operations over `callers` tasks; per-operation latency in microseconds.
func measure(callers: Int, total: Int, _ operation: @escaping @Sendable (_ caller: Int, _ index: Int) async throws -> Void) async throws -> Figures {
    let next = Ticket()
    let start = ContinuousClock.now
    let samples = try await withThrowingTaskGroup(of: [Double].self) { group in
        for caller in 0..<callers {
            group.addTask {
                var mine: [Double] = []
                while true {
                    let index = next.take()
                    guard index < total else { return mine }
                    let began = ContinuousClock.now
                    try await operation(caller, index)
                    let took = ContinuousClock.now - began
                    mine.append(Double(took.components.attoseconds) / 1e12 + Double(took.components.seconds) * 1e6)
                }
            }
        }
        var all: [Double] = []
        for try await part in group { all += part }
        return all.sorted()
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Figures(perSecond: Double(total) / seconds, p50: samples[samples.count / 2], p99: samples[min(samples.count - 1, samples.count * 99 / 100)])
}

func report(_ name: String, _ callers: Int, _ figures: Figures, baseline: Figures?, from before: WriteStatistics, to after: WriteStatistics) {
    var line = String(format: "%@, %d caller%@: %.0f/s, p50 %.0f µs, p99 %.0f µs", name, callers, callers == 1 ? "" : "s", figures.perSecond, figures.p50, figures.p99)
    if let baseline {
        line += String(format: " (baseline %.0f/s, p50 %.0f µs: throughput ratio %.2f, p50 ratio %.2f)",
                       baseline.perSecond, baseline.p50, baseline.perSecond / figures.perSecond, figures.p50 / baseline.p50)
    }
    line += " [\(after.bodies - before.bodies) writes in \(after.groups - before.groups) transactions, largest so far \(after.largestGroup)]"
    print(line)
}

func freshStore(checkpointPages: Int) async throws -> (SQLiteStoreDatabase, SQLStore, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-store-load-\(UUID().uuidString)")
    let database = try await SQLiteStoreDatabase.open(
        path: directory.appendingPathComponent("load.sqlite").path, checkpointPages: checkpointPages, logger: logger)
    try await Migrator().migrate(database, logger: logger)
    try await database.write { sql in
        try await sql.raw("CREATE TABLE raw (id TEXT PRIMARY KEY, seq INTEGER, body TEXT, created_at INTEGER)").run()
    }
    return (database, SQLStore(database: database), directory)
}

func count(_ table: String, _ database: SQLiteStoreDatabase) async throws -> Int {
    try await database.read { sql in try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()!.decode(column: "n", as: Int.self) }
}

let checkpointChoices = arguments.firstIndex(of: "--checkpoint-pages").map { arguments[$0 + 1].split(separator: ",").compactMap { Int($0) } }
    ?? [SQLiteStoreDatabase.defaultCheckpointPages]
for checkpointPages in checkpointChoices {
print("checkpoint every \(checkpointPages) pages of WAL")
for callers in [1, 64] {
    let (database, store, directory) = try await freshStore(checkpointPages: checkpointPages)
    let inbox = try await store.createInbox(name: "Load", kind: .webchat, audit: nil)
    var conversations: [(id: ConversationID, contact: ContactID)] = []
    for caller in 0..<callers {
        let contact = try await store.createContact(name: "Visitor \(caller)", email: nil, locale: "zh-CN")
        conversations.append((try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil).id, contact.id))
    }
    let fixed = conversations
    let before = database.writeStatistics
    let raw = try await measure(callers: callers, total: writes) { _, index in
        try await database.write { sql in
            try await sql.raw(
                "INSERT INTO raw (id, seq, body, created_at) VALUES (\(bind: UUID().uuidString), \(bind: index), \(bind: "您好，我的提现还没有到账。"), \(bind: Int(Date().timeIntervalSince1970)))"
            ).run()
        }
    }
    let afterRaw = database.writeStatistics
    report("raw INSERT through the writer (baseline)", callers, raw, baseline: nil, from: before, to: afterRaw)
    let messagesBefore = try await count("messages", database)
    let append = try await measure(callers: callers, total: writes) { caller, _ in
        _ = try await store.appendMessage(
            conversationId: fixed[caller].id,
            NewMessage(direction: .incoming, author: .contact(fixed[caller].contact), text: "您好，我的提现还没有到账。", clientMessageId: UUID().uuidString))
    }
    let afterAppend = database.writeStatistics
    report("customer message append", callers, append, baseline: raw, from: afterRaw, to: afterAppend)
    let stored = try await count("messages", database) - messagesBefore
    let rawStored = try await count("raw", database)
    guard stored == writes, rawStored == writes else {
        fatalError("acknowledged \(writes) appends and \(writes) inserts; the database holds \(stored) and \(rawStored)")
    }
    try await database.close()
    try? FileManager.default.removeItem(at: directory)
}
}
