import Foundation
import KefuCore
import PostgresNIO
import SQLKit
import SQLiteNIO

/// The one implementation of every repository, over SQLKit, for SQLite and PostgreSQL alike.
/// Statements are written once in the common subset of both dialects; the few differences
/// live in `Schema`.
public struct SQLStore: Sendable {
    public let database: any Database
    let now: @Sendable () -> Date

    public init(database: any Database, now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.now = now
    }

    public var flavor: SQLFlavor { database.flavor }

    /// Makes transactions that name the same `key` run one after another, until this one ends:
    /// a transaction-scoped advisory lock on PostgreSQL, where instances write at once; nothing
    /// on SQLite, which has one writer.
    static func lockForTransaction(_ key: String, on sql: any SQLDatabase, _ flavor: SQLFlavor) async throws {
        guard flavor == .postgres else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(hashtextextended(\(bind: key), 0))").run()
    }

    /// True when the database answers a trivial query (for /healthz).
    public func ping() async -> Bool {
        (try? await database.read { sql in try await sql.raw("SELECT 1 AS one").first() }) != nil
    }
}

extension JSONEncoder {
    static let sorted: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}

/// Recognises a unique-constraint violation from either driver.
func isUniqueViolation(_ error: any Error) -> Bool {
    if let error = error as? PSQLError {
        return error.serverInfo?[.sqlState] == "23505"
    }
    if let error = error as? SQLiteFailure { return error.isUniqueViolation }
    if let error = error as? SQLiteError {
        return error.reason == .constraintUniqueFailed || error.reason == .constraintPrimaryKeyFailed
            || (error.reason == .constraint && error.message.contains("UNIQUE"))
    }
    return false
}

extension SQLRow {
    func date(_ column: String) throws -> Date { Clock.date(try decode(column: column, as: Int64.self)) }
    func optionalDate(_ column: String) throws -> Date? {
        try decode(column: column, as: Int64?.self).map(Clock.date)
    }
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try decode(column: column, as: String?.self) }
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func bool(_ column: String) throws -> Bool {
        // SQLite has no boolean type: BOOLEAN columns hold 0/1 integers there.
        if let value = try? decode(column: column, as: Bool.self) { return value }
        return try decode(column: column, as: Int64.self) != 0
    }
    func enumValue<E: RawRepresentable>(_ column: String, as type: E.Type) throws -> E where E.RawValue == String {
        let raw = try string(column)
        guard let value = E(rawValue: raw) else { throw StoreError.undecodable("unknown \(column) value \(raw)") }
        return value
    }
}
