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
    let location = try await TestDatabases.createMigrated(backend)
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

    /// An empty database (no migration applied), for the tests of migrations themselves.
    public static func create(_ backend: TestBackend) async throws -> DatabaseLocation {
        try await create(backend, copying: nil)
    }

    /// A database with every migration applied: a copy of one migrated once per test process.
    /// Migrating each of a few hundred databases (scores of DDL statements each) took more of
    /// the two cores than the tests did, and requests of tests running beside them then waited
    /// past their clients' 20 s timeout.
    public static func createMigrated(_ backend: TestBackend) async throws -> DatabaseLocation {
        try await create(backend, copying: try await templates.migrated(backend))
    }

    static let templates = Templates()

    static func uniqueName(_ prefix: String = "kefu_test") -> String {
        "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
    }

    static func create(_ backend: TestBackend, copying template: DatabaseLocation?) async throws -> DatabaseLocation {
        let name = uniqueName()
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-tests", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("\(name).sqlite").path
            if case .sqlite(let source) = template {
                // The template is closed: its write-ahead log was checkpointed into the file.
                try FileManager.default.copyItem(atPath: source, toPath: path)
            }
            return .sqlite(path: path)
        case .postgres:
            guard let url = TestBackend.postgresURL, let slash = url.lastIndex(of: "/") else { throw NoPostgres() }
            var statement = "CREATE DATABASE \(name)"
            if case .postgres(let source) = template, let templateName = source.split(separator: "/").last {
                // FILE_COPY copies the files as they are; the default (PostgreSQL 15's WAL_LOG)
                // writes every page through the log, twice the work for a database this small.
                statement += " TEMPLATE \(templateName) STRATEGY FILE_COPY"
            }
            let create = statement
            try await withDatabase(.postgres(url: url), logger: Logger(label: "kefu.test"), poolSize: 1, firstConnection: firstConnection) { database in
                // CREATE DATABASE cannot run inside a transaction, so it goes through read().
                try await database.read { sql in try await sql.raw("\(unsafeRaw: create)").run() }
            }
            return .postgres(url: String(url[..<slash]) + "/" + name)
        }
    }

    /// One migrated database per backend and test process, made on first use. Nothing connects
    /// to it afterwards (PostgreSQL copies a database only while no session is in it).
    actor Templates {
        private var made: [TestBackend: Task<DatabaseLocation, any Error>] = [:]

        func migrated(_ backend: TestBackend) async throws -> DatabaseLocation {
            if let task = made[backend] { return try await task.value }
            let task = Task {
                let location = try await TestDatabases.create(backend, copying: nil)
                let logger = Logger(label: "kefu.test.template")
                try await withDatabase(location, logger: logger, poolSize: 1, firstConnection: TestDatabases.firstConnection) { database in
                    try await Migrator().migrate(database, logger: logger)
                }
                return location
            }
            made[backend] = task
            return try await task.value
        }
    }
}
