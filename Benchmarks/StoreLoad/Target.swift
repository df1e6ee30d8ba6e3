import BenchSupport
import Foundation
import KefuCore
import KefuStore
import Logging
import SQLKit

/// Where a case runs: a fresh SQLite file (its checkpoint threshold chosen), or a PostgreSQL
/// database that may hold earlier runs (each case counts only its own rows).
enum LoadTarget: CustomStringConvertible {
    case sqlite(checkpointPages: Int)
    case postgres(url: String)

    var description: String {
        switch self {
        case .sqlite(let pages): "SQLite, checkpoint every \(pages) pages of WAL"
        case .postgres: "PostgreSQL"
        }
    }

    /// Runs `body` with a migrated database that has the baseline's `raw_load` table.
    func with<T: Sendable>(logger: Logger, _ body: @Sendable (any KefuStore.Database) async throws -> T) async throws -> T {
        switch self {
        case .sqlite(let pages):
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-store-load-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = try await SQLiteStoreDatabase.open(
                path: directory.appendingPathComponent("load.sqlite").path, checkpointPages: pages, logger: logger)
            do {
                let result = try await prepared(database, logger: logger, body)
                try await database.close()
                return result
            } catch {
                try? await database.close()
                throw error
            }
        case .postgres(let url):
            return try await withDatabase(.postgres(url: url), logger: logger, poolSize: 64) { database in
                try await prepared(database, logger: logger, body)
            }
        }
    }

    private func prepared<T: Sendable>(
        _ database: any KefuStore.Database, logger: Logger, _ body: @Sendable (any KefuStore.Database) async throws -> T
    ) async throws -> T {
        try await Migrator().migrate(database, logger: logger)
        try await database.write { sql in
            try await sql.raw("CREATE TABLE IF NOT EXISTS raw_load (id TEXT PRIMARY KEY, seq BIGINT, body TEXT, created_at BIGINT)").run()
        }
        return try await body(database)
    }
}

/// The baseline: one raw INSERT, through Kefu's writer on SQLite (one write transaction) and
/// autocommitted through the same pool on PostgreSQL (a commit and a WAL flush each).
func rawInsert(_ database: any KefuStore.Database, run: String, index: Int) async throws {
    let insert: @Sendable (any SQLDatabase) async throws -> Void = { sql in
        try await sql.raw(
            "INSERT INTO raw_load (id, seq, body, created_at) VALUES (\(bind: run + String(index)), \(bind: index), \(bind: "您好，我的提现还没有到账。"), \(bind: Int(Date().timeIntervalSince1970)))"
        ).run()
    }
    if database.flavor == .postgres { try await database.read(insert) } else { try await database.write(insert) }
}

func count(_ database: any KefuStore.Database, _ query: SQLQueryString) async throws -> Int {
    try await database.read { sql in try await sql.raw(query).first()!.decode(column: "n", as: Int.self) }
}

func report(_ name: String, _ callers: Int, _ figures: LoadFigures, baseline: LoadFigures?, database: any KefuStore.Database, since before: WriteStatistics?) {
    var line = String(format: "%@, %d caller%@: %.0f/s, p50 %.0f µs, p99 %.0f µs", name, callers, callers == 1 ? "" : "s", figures.perSecond, figures.p50, figures.p99)
    if let baseline {
        line += String(format: " (baseline %.0f/s, p50 %.0f µs: throughput ratio %.2f, p50 ratio %.2f)",
                       baseline.perSecond, baseline.p50, baseline.perSecond / figures.perSecond, figures.p50 / baseline.p50)
    }
    if let before, let after = (database as? SQLiteStoreDatabase)?.writeStatistics {
        line += " [\(after.bodies - before.bodies) writes in \(after.groups - before.groups) transactions, largest so far \(after.largestGroup)]"
    }
    print(line)
}

func statistics(_ database: any KefuStore.Database) -> WriteStatistics? { (database as? SQLiteStoreDatabase)?.writeStatistics }

/// Customer messages with 1 and 64 callers, one conversation each, beside the raw insert.
func appendCases(on target: LoadTarget, total: Int, logger: Logger) async throws {
    print("appends: \(target)")
    for callers in [1, 64] {
        try await target.with(logger: logger) { database in
            let store = SQLStore(database: database)
            let inbox = try await store.createInbox(name: "Load", kind: .webchat, audit: nil)
            var conversations: [(id: ConversationID, contact: ContactID)] = []
            for caller in 0..<callers {
                let contact = try await store.createContact(name: "Visitor \(caller)", email: nil, locale: "zh-CN")
                conversations.append((try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil).id, contact.id))
            }
            let fixed = conversations
            let run = "load-\(UUID().uuidString.lowercased())-"
            let before = statistics(database)
            let raw = try await measure(callers: callers, total: total) { _, index in try await rawInsert(database, run: run, index: index) }
            report("raw INSERT (baseline)", callers, raw, baseline: nil, database: database, since: before)
            // The append's own INSERT alone (same table and indexes, a time-ordered id like the
            // store's): what SQLite's b-trees cost before the conversation's update, the journal
            // and the response-target clock.
            let beforeShape = statistics(database)
            let sameShape = try await measure(callers: callers, total: total) { caller, index in
                try await database.write { sql in
                    try await sql.raw(
                        """
                        INSERT INTO messages (id, conversation_id, seq, direction, author_kind, author_id, body, client_message_id, created_at)
                        VALUES (\(bind: TimeOrderedUUID.make()), \(bind: fixed[caller].id.rawValue), \(bind: 1_000_000 + index), 'incoming', 'contact',
                            \(bind: fixed[caller].contact.rawValue), \(bind: "您好，我的提现还没有到账。"), \(bind: UUID().uuidString),
                            \(bind: Int64(Date().timeIntervalSince1970 * 1000)))
                        """
                    ).run()
                }
            }
            report("the append's INSERT alone (same table and indexes)", callers, sameShape, baseline: raw, database: database, since: beforeShape)
            let afterRaw = statistics(database)
            let append = try await measure(callers: callers, total: total) { caller, _ in
                _ = try await store.appendMessage(
                    conversationId: fixed[caller].id,
                    NewMessage(direction: .incoming, author: .contact(fixed[caller].contact), text: "您好，我的提现还没有到账。", clientMessageId: UUID().uuidString))
            }
            report("customer message append", callers, append, baseline: raw, database: database, since: afterRaw)
            let stored = try await count(database, "SELECT COUNT(*) AS n FROM messages JOIN conversations c ON c.id = messages.conversation_id WHERE c.inbox_id = \(bind: inbox.id.rawValue)")
            let rawStored = try await count(database, "SELECT COUNT(*) AS n FROM raw_load WHERE id LIKE \(bind: run + "%")")
            guard stored == 2 * total, rawStored == total else {
                stopRun("acknowledged \(2 * total) messages and \(total) inserts; the database holds \(stored) and \(rawStored)")
            }
        }
    }
}
