import Foundation
import KefuStore
import KefuTestSupport
import Logging
import SQLKit
import Testing

/// A command that stops on a database error says the server's reason (postgres-nio's own
/// description of every error is the same generic sentence), and not the query's bound values.
@Suite struct DatabaseFailureTests {
    @Test(.enabled(if: TestBackend.postgresURL != nil))
    func aServerErrorIsDescribedByItsMessageAndState() async throws {
        let location = try await TestDatabases.create(.postgres)
        let text = try await withDatabase(location, logger: Logger(label: "test"), poolSize: 2, firstConnection: TestDatabases.firstConnection) { database in
            do {
                try await database.write { sql in
                    try await sql.raw("INSERT INTO no_such_table (secret) VALUES (\(bind: "hunter2-token"))").run()
                }
                return nil as String?
            } catch {
                return DatabaseFailure.describe(error)
            }
        }
        let description = try #require(text)
        #expect(description.contains("relation \"no_such_table\" does not exist"), "\(description)")
        #expect(description.contains("SQLSTATE 42P01"), "\(description)")
        #expect(!description.contains("hunter2-token"), "\(description)")
    }

    @Test func anErrorThatIsNotTheDatabasesIsLeftToItsOwnDescription() {
        #expect(DatabaseFailure.describe(CocoaError(.fileNoSuchFile)) == nil)
    }
}
