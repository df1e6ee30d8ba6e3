import Foundation
import KefuStore
import Logging
import PostgresNIO

/// The databases every store test runs against: SQLite always, PostgreSQL when
/// `KEFU_TEST_POSTGRES_URL` names a server (scripts/test starts one).
enum TestBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static var available: [TestBackend] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["KEFU_TEST_POSTGRES_URL"] }
}

import Testing

/// A fresh, migrated database for one test: a new SQLite file, or a new PostgreSQL database.
func withTestStore<T: Sendable>(
    _ backend: TestBackend, _ body: @Sendable (SQLStore) async throws -> T
) async throws -> T {
    let logger = Logger(label: "kefu.test")
    let location = try await TestDatabases.create(backend)
    return try await withDatabase(location, logger: logger) { database in
        try await Migrator().migrate(database, logger: logger)
        return try await body(SQLStore(database: database))
    }
}

enum TestDatabases {
    static func create(_ backend: TestBackend) async throws -> DatabaseLocation {
        let name = "kefu_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-tests", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return .sqlite(path: directory.appendingPathComponent("\(name).sqlite").path)
        case .postgres:
            guard let url = TestBackend.postgresURL else { throw CocoaError(.featureUnsupported) }
            try await withDatabase(.postgres(url: url), logger: Logger(label: "kefu.test")) { database in
                // CREATE DATABASE cannot run inside a transaction, so it goes through read().
                try await database.read { sql in try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            }
            guard let slash = url.lastIndex(of: "/") else { throw CocoaError(.featureUnsupported) }
            return .postgres(url: String(url[..<slash]) + "/" + name)
        }
    }
}
