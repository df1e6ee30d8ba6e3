import Foundation
import KefuStore
import KefuTestSupport
import Logging
import SQLKit
import Testing

/// A command that stops on a database error, and a log line about one, say the server's reason
/// (postgres-nio's own description of every error is the same generic sentence), and not the
/// values the query carried or the row's key the server repeats.
@Suite struct DatabaseFailureTests {
    @Test(.enabled(if: TestBackend.postgresURL != nil))
    func aServerErrorIsDescribedByItsMessageAndState() async throws {
        let location = try await TestDatabases.create(.postgres)
        let (missing, duplicate) = try await withDatabase(
            location, logger: Logger(label: "test"), poolSize: 2, firstConnection: TestDatabases.firstConnection
        ) { database in
            let missing = await Self.failure(database, "INSERT INTO no_such_table (secret) VALUES ('hunter2-token')")
            try await database.write { sql in try await sql.raw("CREATE TABLE tokens (token TEXT UNIQUE)").run() }
            _ = await Self.failure(database, "INSERT INTO tokens (token) VALUES ('hunter2-token')")
            let duplicate = await Self.failure(database, "INSERT INTO tokens (token) VALUES ('hunter2-token')")
            return (missing, duplicate)
        }
        let relation = try #require(missing.flatMap(DatabaseFailure.describe))
        #expect(relation.contains("relation \"no_such_table\" does not exist"), "\(relation)")
        #expect(relation.contains("SQLSTATE 42P01"), "\(relation)")
        let unique = try #require(duplicate.flatMap(DatabaseFailure.describe))
        #expect(unique.contains("duplicate key value violates unique constraint \"tokens_token_key\""), "\(unique)")
        #expect(unique.contains("SQLSTATE 23505"), "\(unique)")
        #expect(!unique.contains("hunter2-token"), "\(unique)")
        #expect(DatabaseFailure.logged(try #require(duplicate)) == unique)
    }

    @Test func anErrorThatIsNotTheDatabasesIsLeftToItsOwnDescription() {
        let error = CocoaError(.fileNoSuchFile)
        #expect(DatabaseFailure.describe(error) == nil)
        #expect(DatabaseFailure.logged(error) == "\(error)")
    }

    /// The error `statement` fails with, nil when it succeeds.
    static func failure(_ database: any Database, _ statement: String) async -> (any Error)? {
        do {
            try await database.write { sql in try await sql.raw(SQLQueryString(statement)).run() }
            return nil
        } catch {
            return error
        }
    }
}
