import Crypto
import Foundation
import Logging
import SQLKit

/// One versioned schema change. Released migrations are never edited: the runner stores a
/// checksum of each one's SQL and refuses to start when a released migration has changed.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: @Sendable (SQLFlavor) -> [String]

    public init(version: Int, name: String, statements: @escaping @Sendable (SQLFlavor) -> [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }

    public func checksum(for flavor: SQLFlavor) -> String {
        let text = statements(flavor).joined(separator: ";\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

public struct MigrationError: Error, CustomStringConvertible {
    public let description: String
}

/// Applies pending migrations in order, each in its own transaction.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration] = Schema.migrations) {
        self.migrations = migrations
    }

    /// Versions applied by this call.
    @discardableResult
    public func migrate(_ database: any Database, logger: Logger) async throws -> [Int] {
        let flavor = database.flavor
        try await database.write { sql in
            try await Self.oneAtATime(sql, flavor)
            try await sql.raw(
                """
                CREATE TABLE IF NOT EXISTS kefu_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """
            ).run()
        }
        let applied = try await appliedChecksums(database)
        var ran: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let checksum = migration.checksum(for: flavor)
            if let stored = applied[migration.version] {
                guard stored == checksum else {
                    throw MigrationError(
                        description: "migration \(migration.version) (\(migration.name)) was edited after it was applied; add a new migration instead")
                }
                continue
            }
            let ranHere = try await database.write { sql -> Bool in
                // Instances started together each try; the first applies it, the others find it done.
                try await Self.oneAtATime(sql, flavor)
                if try await sql.raw("SELECT version FROM kefu_migrations WHERE version = \(bind: migration.version)").first() != nil {
                    return false
                }
                for statement in migration.statements(flavor) {
                    try await sql.raw(SQLQueryString(stringLiteral: statement)).run()
                }
                try await sql.raw(
                    """
                    INSERT INTO kefu_migrations (version, name, checksum, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: checksum), \(bind: Clock.millis(Date())))
                    """
                ).run()
                return true
            }
            guard ranHere else { continue }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            ran.append(migration.version)
        }
        // Lines written before the audit chain existed get their places in it, once: a line
        // without a place written later stays a break that `kefu audit verify` names.
        if migrations.contains(where: { $0.version == 20 }) {
            let sealed = try await SQLStore(database: database).sealPreChainAudit()
            if sealed > 0 { logger.info("audit lines placed in the hash chain", metadata: ["lines": "\(sealed)"]) }
        }
        return ran
    }

    /// Several instances starting on one PostgreSQL migrate one after another: each migrating
    /// transaction first takes the same transaction-scoped advisory lock (SQLite has one writer).
    static func oneAtATime(_ sql: any SQLDatabase, _ flavor: SQLFlavor) async throws {
        guard flavor == .postgres else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(\(literal: migrationLock))").run()
    }

    static let migrationLock = 4_647_301  // "kefu" migrations; any constant that no other lock uses

    public func appliedChecksums(_ database: any Database) async throws -> [Int: String] {
        try await database.read { sql in
            let rows = try await sql.raw("SELECT version, checksum FROM kefu_migrations").all()
            var result: [Int: String] = [:]
            for row in rows {
                result[try row.decode(column: "version", as: Int.self)] = try row.decode(column: "checksum", as: String.self)
            }
            return result
        }
    }
}

/// Times are stored as integer milliseconds since 1970 in both databases: exact and portable.
enum Clock {
    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}
