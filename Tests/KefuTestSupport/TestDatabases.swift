import Foundation
import KefuStore
import Logging

/// The databases the store tests run against: SQLite always, PostgreSQL when
/// `KEFU_TEST_POSTGRES_URL` names a server (scripts/test starts one).
public enum TestBackend: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    public static var available: [TestBackend] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// The backend for tests that run on one database only (the web tests):
    /// `KEFU_TEST_BACKEND=postgres` switches them to PostgreSQL.
    public static var primary: TestBackend {
        ProcessInfo.processInfo.environment["KEFU_TEST_BACKEND"] == "postgres" && postgresURL != nil ? .postgres : .sqlite
    }

    public static var postgresURL: String? { ProcessInfo.processInfo.environment["KEFU_TEST_POSTGRES_URL"] }
}

/// A fresh, migrated database for one test: a new SQLite file, or a new PostgreSQL database.
public func withTestStore<T: Sendable>(
    _ backend: TestBackend, now: @escaping @Sendable () -> Date = { Date() }, _ body: @Sendable (SQLStore) async throws -> T
) async throws -> T {
    let logger = Logger(label: "kefu.test")
    let location = try await TestDatabases.create(backend)
    return try await withDatabase(location, logger: logger, poolSize: TestDatabases.poolSize, firstConnection: TestDatabases.firstConnection) { database in
        try await Migrator().migrate(database, logger: logger)
        return try await body(SQLStore(database: database, now: now))
    }
}

public enum TestDatabases {
    public struct NoPostgres: Error {}

    /// Connections per test database. Swift Testing runs every test at once, so a few hundred
    /// pools share one server: 20 each (the default) ran the CI server out of connections and
    /// tests failed for want of one. Four still lets the race tests race.
    public static let poolSize = 4
    /// Hundreds of tests open databases at once; on a loaded machine a connection can take a
    /// while (the 10 seconds commands wait for a server that is down ran out once).
    public static let firstConnection: Duration = .seconds(90)

    public static func create(_ backend: TestBackend) async throws -> DatabaseLocation {
        let name = "kefu_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-tests", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return .sqlite(path: directory.appendingPathComponent("\(name).sqlite").path)
        case .postgres:
            guard let url = TestBackend.postgresURL, let slash = url.lastIndex(of: "/") else { throw NoPostgres() }
            try await withDatabase(.postgres(url: url), logger: Logger(label: "kefu.test"), poolSize: 1, firstConnection: firstConnection) { database in
                // CREATE DATABASE cannot run inside a transaction, so it goes through read().
                try await database.read { sql in try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            }
            return .postgres(url: String(url[..<slash]) + "/" + name)
        }
    }
}
