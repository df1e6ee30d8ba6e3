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
            let database = watched
            // The watch starts looking only once a round stands where the test wants it seen: on
            // a loaded machine its first statement alone can take longer than the threshold.
            @Sendable func watching() -> Task<Void, Never> {
                Task { await database.watch.watch(logger: recorder.logger("watch"), database: "kefu_watched", every: .milliseconds(50)) }
            }
            @Sendable func reported(_ round: String) async throws -> String? {
                for _ in 0..<600 {
                    if let line = recorder.lines.withLock({ $0 }).first(where: { $0.contains("held on for long") && $0.contains("round=\(round)") }) {
                        return line
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                return nil
            }

            // In Kefu's code, between two statements of a transaction.
            let inCode = try await database.write { sql in
                try await sql.raw("SELECT 1 AS first").run()
                let watch = watching()
                defer { watch.cancel() }
                let line = try await reported("write")
                try await sql.raw("SELECT 2 AS second").run()
                return line
            }
            #expect(inCode?.contains("where=in Kefu's code after: SELECT 1 AS first") == true, "\(inCode ?? "not reported")")
            #expect(inCode?.contains("statements=1") == true)

            // On the server: a statement that takes its time, with a value it must not repeat.
            let onServer = try await database.read { sql in
                try await sql.raw("SELECT 1 AS connected").run()
                let watch = watching()
                defer { watch.cancel() }
                try await sql.raw("SELECT pg_sleep(5), \(bind: "hunter2-token") AS t").run()
                return try await reported("read")
            }
            #expect(onServer?.contains("where=waiting on the server for: SELECT pg_sleep(5), $1 AS t") == true, "\(onServer ?? "not reported")")
            #expect(recorder.lines.withLock { $0 }.allSatisfy { $0.contains("database=kefu_watched") && !$0.contains("hunter2") })
        }
    }
}
