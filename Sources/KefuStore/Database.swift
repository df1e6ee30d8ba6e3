import Foundation
import Logging
import SQLKit

/// Which SQL dialect a database speaks; the few statements that differ switch on it.
public enum SQLFlavor: String, Sendable {
    case sqlite
    case postgres
}

/// A connection to Kefu's database: reads may run concurrently, writes run in a transaction.
///
/// The SQLite handle funnels every write through one connection in FIFO order (SQLite allows one
/// writer; queuing in-process avoids SQLITE_BUSY storms). PostgreSQL runs writes concurrently
/// from a pool and relies on row locks.
public protocol Database: Sendable {
    var flavor: SQLFlavor { get }
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
}

/// Where the database lives, parsed from `KEFU_DATABASE_URL`.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    public static let defaultURL = "sqlite://./kefu-data/kefu.sqlite"

    public struct InvalidURL: Error, CustomStringConvertible {
        public let url: String
        public var description: String {
            "KEFU_DATABASE_URL must be sqlite://PATH or postgres://user:pass@host:port/db, got \(url)"
        }
    }

    public init(url: String) throws {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw InvalidURL(url: url) }
            self = .sqlite(path: path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(url: url)
        } else {
            throw InvalidURL(url: url)
        }
    }
}

/// Opens the database at `location`, runs `body` with it and closes it afterwards, also when
/// `body` throws. The PostgreSQL pool runs in a child task for exactly that scope; `poolSize`
/// caps its connections (postgres-nio's default, 20, when nil). Test suites that open hundreds
/// of databases at once pass a small one so that together they stay under the server's
/// `max_connections`, and wait longer for the first connection (`deadline`; 10 seconds by
/// default, so that a command hears of a server that is down) on a loaded machine.
public func withDatabase<T: Sendable>(
    _ location: DatabaseLocation,
    logger: Logger,
    poolSize: Int? = nil,
    firstConnection deadline: Duration = .seconds(10),
    _ body: @Sendable (any Database) async throws -> T
) async throws -> T {
    switch location {
    case .sqlite(let path):
        let database = try await SQLiteStoreDatabase.open(path: path, logger: logger)
        do {
            let result = try await body(database)
            try await database.close()
            return result
        } catch {
            try? await database.close()
            throw error
        }
    case .postgres(let url):
        return try await PostgresStoreDatabase.withDatabase(url: url, logger: logger, poolSize: poolSize, firstConnection: deadline, body)
    }
}
