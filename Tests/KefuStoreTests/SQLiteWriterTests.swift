import Foundation
import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization
import Testing

@testable import KefuStore

/// The SQLite driver under the store: group commit, kept statements, read snapshots.
@Suite struct SQLiteWriterTests {
    private static func withDatabase<T: Sendable>(_ body: @Sendable (SQLiteStoreDatabase) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-writer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await KefuStore.withDatabase(.sqlite(path: directory.appendingPathComponent("w.sqlite").path), logger: Logger(label: "test")) {
            let database = $0 as! SQLiteStoreDatabase
            try await database.write { sql in try await sql.raw("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)").run() }
            return try await body(database)
        }
    }

    private static func insert(_ id: String, _ n: Int, on sql: any SQLDatabase) async throws {
        try await sql.raw("INSERT INTO t (id, n) VALUES (\(bind: id), \(bind: n))").run()
    }

    private static func ids(_ database: SQLiteStoreDatabase) async throws -> [String] {
        try await database.read { sql in try await sql.raw("SELECT id FROM t ORDER BY id").all().map { try $0.decode(column: "id", as: String.self) } }
    }

    /// Starts a write that holds the writer until the returned gate opens, so that the writes
    /// queued meanwhile are committed as one group.
    private static func holdWriter(_ database: SQLiteStoreDatabase) async -> (holder: Task<Void, any Error>, release: AsyncGate) {
        let release = AsyncGate()
        let groupsBefore = database.writeStatistics.groups
        let holder = Task {
            try await database.write { sql in
                try await insert("0-holder", 0, on: sql)
                await release.wait()
            }
        }
        while database.writeStatistics.groups == groupsBefore { await Task.yield() }
        return (holder, release)
    }

    private static func waitUntilQueued(_ database: SQLiteStoreDatabase, _ count: Int) async throws {
        while database.queuedWrites < count { try await Task.sleep(for: .milliseconds(1)) }
    }

    @Test func writesThatQueueShareOneCommitAndEachCallerGetsItsOwnAnswer() async throws {
        try await Self.withDatabase { database in
            let answers = Shared<[Int: Int]>([:])
            let (holder, release) = await Self.holdWriter(database)
            try await withThrowingTaskGroup(of: Void.self) { group in
                    for n in 1...40 {
                        group.addTask {
                            let answer = try await database.write { sql in
                                try await Self.insert("row-\(n)", n, on: sql)
                                return n * 10
                            }
                            // Answered only after the commit: a reader sees the row at once.
                            let seen = try await database.read { sql in
                                try await sql.raw("SELECT n FROM t WHERE id = \(bind: "row-\(n)")").first()?.decode(column: "n", as: Int.self)
                            }
                            #expect(seen == n)
                            answers.withLock { $0[n] = answer }
                        }
                    }
                try await Self.waitUntilQueued(database, 40)
                release.open()
                try await holder.value
                try await group.waitForAll()
            }
            #expect(answers.withLock { $0 } == Dictionary(uniqueKeysWithValues: (1...40).map { ($0, $0 * 10) }))
            #expect(try await Self.ids(database).count == 41)
            let statistics = database.writeStatistics
            // The holder's own transaction, then the 40 in one group (the limit is 128).
            #expect(statistics.largestGroup == 40)
            #expect(statistics.bodies == 42)  // with the table's creation
        }
    }

    @Test func aBodyThatFailsRollsBackOnlyItselfWithinItsGroup() async throws {
        struct Refused: Error {}
        try await Self.withDatabase { database in
            let outcomes = Shared<[String: String]>([:])
            let (holder, release) = await Self.holdWriter(database)
            try await withThrowingTaskGroup(of: Void.self) { group in
                    let bodies: [(String, @Sendable (any SQLDatabase) async throws -> Void)] = [
                        ("a", { sql in try await Self.insert("a", 1, on: sql) }),
                        ("b", { sql in
                            try await Self.insert("b", 2, on: sql)
                            throw Refused()
                        }),
                        ("c", { sql in
                            try await Self.insert("c", 3, on: sql)
                            try await Self.insert("a", 4, on: sql)  // a's key: a unique violation
                        }),
                        ("d", { sql in try await Self.insert("d", 5, on: sql) }),
                    ]
                    for (name, body) in bodies {
                        group.addTask {
                            do {
                                try await database.write(body)
                                outcomes.withLock { $0[name] = "ok" }
                            } catch is Refused {
                                outcomes.withLock { $0[name] = "refused" }
                            } catch {
                                outcomes.withLock { $0[name] = isUniqueViolation(error) ? "unique" : "\(error)" }
                            }
                        }
                        // In this order in the queue.
                        try await Self.waitUntilQueued(database, bodies.firstIndex(where: { $0.0 == name })! + 1)
                    }
                release.open()
                try await holder.value
                try await group.waitForAll()
            }
            #expect(outcomes.withLock { $0 } == ["a": "ok", "b": "refused", "c": "unique", "d": "ok"])
            #expect(try await Self.ids(database) == ["0-holder", "a", "d"])
            #expect(database.writeStatistics.largestGroup == 4)
        }
    }

    @Test func closingAnswersEveryQueuedWriteAndRefusesNewOnes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-writer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("w.sqlite").path
        let database = try await SQLiteStoreDatabase.open(path: path, logger: Logger(label: "test"))
        try await database.write { sql in try await sql.raw("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)").run() }
        let (holder, release) = await Self.holdWriter(database)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 1...20 {
                group.addTask { try await database.write { sql in try await Self.insert("row-\(n)", n, on: sql) } }
            }
            try await Self.waitUntilQueued(database, 20)
            async let closed: Void = database.close()
            release.open()
            try await holder.value
            try await closed
            try await group.waitForAll()
        }
        await #expect(throws: SQLiteFailure.self) { try await database.write { _ in } }
        let reopened = try await SQLiteStoreDatabase.open(path: path, logger: Logger(label: "test"))
        #expect(try await Self.ids(reopened).count == 21)
        try await reopened.close()
    }

    @Test func aReadSeesOneSnapshotWhileAWriteCommits() async throws {
        try await Self.withDatabase { database in
            try await database.write { sql in try await Self.insert("first", 1, on: sql) }
            let counts = try await database.read { sql in
                let before = try await sql.raw("SELECT COUNT(*) AS n FROM t").first()!.decode(column: "n", as: Int.self)
                try await database.write { sql in try await Self.insert("second", 2, on: sql) }
                let after = try await sql.raw("SELECT COUNT(*) AS n FROM t").first()!.decode(column: "n", as: Int.self)
                return (before, after)
            }
            #expect(counts == (1, 1))
            #expect(try await Self.ids(database) == ["first", "second"])
        }
    }

    @Test func readsInsideReadsNeverWaitForASecondReader() async throws {
        try await Self.withDatabase { database in
            try await database.write { sql in try await Self.insert("x", 1, on: sql) }
            // More nested reads at once than there are readers (four).
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await database.read { outer in
                            try await Task.sleep(for: .milliseconds(5))
                            let inner = try await database.read { sql in
                                try await sql.raw("SELECT COUNT(*) AS n FROM t").first()!.decode(column: "n", as: Int.self)
                            }
                            let mine = try await outer.raw("SELECT COUNT(*) AS n FROM t").first()!.decode(column: "n", as: Int.self)
                            return inner + mine
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == 24)
        }
    }

    @Test func keptStatementsFollowSchemaChangesAndValuesRoundTrip() async throws {
        try await Self.withDatabase { database in
            try await database.write { sql in try await Self.insert("x", 1, on: sql) }
            let before = try await database.read { sql in try await sql.raw("SELECT * FROM t").first()!.allColumns }
            #expect(before == ["id", "n"])
            try await database.write { sql in try await sql.raw("ALTER TABLE t ADD COLUMN note BLOB").run() }
            let after = try await database.read { sql in try await sql.raw("SELECT * FROM t").first()!.allColumns }
            #expect(after == ["id", "n", "note"])
            // Text with a NUL inside, an empty blob, large integers and NULL come back as stored.
            let text = "前\u{0}后 emoji 🙂"
            try await database.write { sql in
                try await sql.raw("INSERT INTO t (id, n, note) VALUES (\(bind: text), \(bind: Int64.max), \(bind: Data()))").run()
                try await sql.raw("INSERT INTO t (id, n, note) VALUES ('null', NULL, NULL)").run()
            }
            let row = try await database.read { sql in try await sql.raw("SELECT id, n, note, typeof(note) AS kind FROM t WHERE n = \(bind: Int64.max)").first()! }
            #expect(try row.decode(column: "id", as: String.self) == text)
            #expect(try row.decode(column: "note", as: Data.self) == Data())
            #expect(try row.decode(column: "kind", as: String.self) == "blob")
            let nullRow = try await database.read { sql in try await sql.raw("SELECT n FROM t WHERE id = 'null'").first()! }
            #expect(try nullRow.decodeNil(column: "n"))
            #expect(try nullRow.decode(column: "n", as: Int?.self) == nil)
            #expect(throws: (any Error).self) { try nullRow.decode(column: "missing", as: Int.self) }
        }
    }

    @Test func theWALIsCheckpointedBesideTheWriter() async throws {
        try await Self.withDatabase { database in
            // About 3,000 pages of WAL in 300 commits: several times the checkpoint threshold.
            let blob = Data(repeating: 7, count: 40_000)
            for n in 0..<300 {
                try await database.write { sql in
                    try await sql.raw("INSERT INTO t (id, n) VALUES (\(bind: "big-\(n)"), \(bind: n))").run()
                    try await sql.raw("UPDATE t SET id = id || '' WHERE id = \(bind: "big-\(n)")").run()
                    _ = blob
                }
                try await database.write { sql in
                    try await sql.raw("CREATE TABLE IF NOT EXISTS blobs (b BLOB)").run()
                    try await sql.raw("INSERT INTO blobs (b) VALUES (\(bind: blob))").run()
                }
            }
            // The checkpoint runs on its own thread: give it a moment to finish the last one.
            for _ in 0..<200 where database.checkpoints.done == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(database.checkpoints.done >= 1)
            #expect(database.checkpoints.failed == 0)
            #expect(try await database.read { sql in try await sql.raw("SELECT COUNT(*) AS n FROM blobs").first()!.decode(column: "n", as: Int.self) } == 300)
        }
    }

    @Test func rowsDecodeAndBindsEncodeAsSQLiteKitDoes() throws {
        let values: [SQLiteData] = [.text("42"), .text("文"), .integer(7), .integer(-1), .float(2.5), .null, .blob(ByteBuffer(bytes: [1, 2]))]
        let row = SQLiteValuesRow(columns: SQLiteColumns(names: values.indices.map { "c\($0)" }), values: values)
        let decoder = SQLiteDataDecoder()
        func same<D: Decodable & Equatable>(_ type: D.Type) {
            for (index, value) in values.enumerated() {
                let fast = Result { try row.decode(column: "c\(index)", as: D.self) }
                let kit = Result { try decoder.decode(D.self, from: value) }
                switch (fast, kit) {
                case (.success(let a), .success(let b)): #expect(a == b, "\(D.self) from \(value)")
                case (.failure, .failure): break
                default: Issue.record("\(D.self) from \(value): \(fast) against SQLiteKit's \(kit)")
                }
            }
        }
        same(String.self)
        same(String?.self)
        same(Int.self)
        same(Int64.self)
        same(Int?.self)
        same(Int64?.self)
        same(Bool.self)
        same(Double.self)
    }

    @Test func moreDistinctStatementsThanTheCacheKeepsStillAnswerRightly() async throws {
        try await Self.withDatabase { database in
            // 600 distinct texts push out the least recently used of the 256 kept; each still
            // answers its own question.
            for round in 0..<2 {
                for n in 0..<600 {
                    let value = try await database.read { sql in
                        try await sql.raw("SELECT \(unsafeRaw: String(n)) + \(bind: round) AS v").first()!.decode(column: "v", as: Int.self)
                    }
                    #expect(value == n + round)
                }
            }
        }
    }
}

/// A value several tasks update.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

/// Opens once; every waiter before and after goes on.
final class AsyncGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
