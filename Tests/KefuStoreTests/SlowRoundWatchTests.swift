import Foundation
import KefuTestSupport
import Logging
import Testing

@testable import KefuStore

/// A database round that holds its connection for long is logged with where it stands, and
/// never with the values its statements carried.
@Suite struct SlowRoundWatchTests {
    @Test(.enabled(if: TestBackend.postgresURL != nil))
    func aLongRoundIsNamedByWhereItStands() async throws {
        let recorder = LogRecorder()
        let location = try await TestDatabases.createMigrated(.postgres)
        try await withDatabase(location, logger: Logger(label: "test"), poolSize: 2, firstConnection: TestDatabases.firstConnection) { database in
            var watched = try #require(database as? PostgresStoreDatabase)
            watched.watch = SlowRoundWatch(threshold: .milliseconds(300))
            let watch = watched.watch
            let watching = Task { await watch.watch(logger: recorder.logger("watch"), database: "kefu_watched", every: .milliseconds(50)) }
            defer { watching.cancel() }

            // On the server: a statement that takes its time, with a value it must not repeat.
            try await watched.read { sql in try await sql.raw("SELECT pg_sleep(0.8), \(bind: "hunter2-token") AS t").run() }
            // In Kefu's code, between two statements of a transaction.
            let database = watched
            try await database.write { sql in
                try await sql.raw("SELECT 1 AS first").run()
                try await Task.sleep(for: .milliseconds(800))
                try await sql.raw("SELECT 2 AS second").run()
            }
            // Quick rounds are not named.
            for _ in 0..<5 { try await database.read { sql in try await sql.raw("SELECT 3 AS quick").run() } }

            let lines = recorder.lines.withLock { $0 }.filter { $0.contains("held on for long") }
            #expect(lines.count == 2, "\(lines)")
            #expect(lines.contains { $0.contains("round=read") && $0.contains("where=waiting on the server for: SELECT pg_sleep(0.8), $1 AS t") })
            #expect(lines.contains { $0.contains("round=write") && $0.contains("where=in Kefu's code after: SELECT 1 AS first") && $0.contains("statements=1") })
            #expect(lines.allSatisfy { $0.contains("database=kefu_watched") && !$0.contains("hunter2") })
        }
    }
}
