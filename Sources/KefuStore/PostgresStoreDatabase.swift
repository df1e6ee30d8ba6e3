import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through postgres-nio's `PostgresClient` pool.
public struct PostgresStoreDatabase: Database {
    public let flavor = SQLFlavor.postgres
    let client: PostgresClient
    let logger: Logger
    /// A `var` for the tests, which watch with a shorter threshold.
    var watch = SlowRoundWatch()

    /// Runs the pool in a child task for the duration of `body`.
    static func withDatabase<T: Sendable>(
        url: String, logger: Logger, poolSize: Int? = nil, firstConnection deadline: Duration = .seconds(10),
        _ body: @Sendable (any Database) async throws -> T
    ) async throws -> T {
        guard let configuration = try? SQLPostgresConfiguration(url: url) else {
            throw DatabaseLocation.InvalidURL(url: url)
        }
        var clientConfiguration = PostgresClient.Configuration(configuration.coreConfiguration)
        if let poolSize { clientConfiguration.options.maximumConnections = max(1, poolSize) }
        clientConfiguration.options.additionalStartupParameters = Self.sessionSettings
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let database = PostgresStoreDatabase(client: client, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            group.addTask { await database.watch.watch(logger: logger, database: configuration.coreConfiguration.database ?? "") }
            defer { group.cancelAll() }
            // The pool retries a server that is down for ever; a command (an MTA's pipe above
            // all) must hear of it and exit, so the first connection has a deadline.
            let core = configuration.coreConfiguration
            let server = core.host.map { "\($0):\(core.port ?? 5432)/\(core.database ?? "")" } ?? "its socket"
            try await database.firstConnection(within: deadline, server: server)
            return try await body(database)
        }
    }

    /// Settings of every pooled session. A transaction left open by an instance that froze
    /// (SIGSTOP, a VM paused, a partition that keeps TCP up) holds its row and advisory locks:
    /// conversation numbers, the assignment turn, a throttle key. Every instance's writes would
    /// wait on them until it woke. Kefu never waits on anything but the database inside a
    /// transaction, so one idle for a minute belongs to a process that is not running, and the
    /// server ends it (its work rolls back). Not shorter: under a full test suite on two cores a
    /// live transaction once sat idle for over 10 s, and postgres-nio 1.33 then waits for ever
    /// on the connection the server closed (docs/deployment.md).
    static let sessionSettings = [("idle_in_transaction_session_timeout", "60000")]

    /// The server did not accept a connection at start.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    func firstConnection(within deadline: Duration, server: String) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await client.withConnection { connection in _ = try await connection.query("SELECT 1", logger: logger) }
                return true
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else {
                throw Unavailable(description: "PostgreSQL at \(server) accepted no connection within \(deadline) (the log says why)")
            }
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await DatabaseTiming.measure {
            try await watch.run("read") { round in
                try await client.withConnection { connection in
                    round.connected()
                    return try await body(WatchedSQLDatabase(base: connection.sql(), round: round))
                }
            }
        }
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        // A transaction PostgreSQL chose as a deadlock's victim is rolled back whole and can run
        // again (the audit chain's head row is one more lock every audited write takes).
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await writeOnce(body)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "40P01" && attempt < 4 {
                logger.warning("deadlock; the transaction runs again", metadata: ["attempt": "\(attempt)"])
            }
        }
    }

    func writeOnce<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await DatabaseTiming.measure {
            do {
                return try await watch.run("write") { round in
                    try await client.withTransaction(logger: logger) { connection in
                        round.connected()
                        return try await body(WatchedSQLDatabase(base: connection.sql(), round: round))
                    }
                }
            } catch let error as PostgresTransactionError {
                // Callers expect the error their own code threw, as on SQLite; the rollback
                // has happened when only the closure failed.
                if let closureError = error.closureError, error.rollbackError == nil { throw closureError }
                throw error
            }
        }
    }
}

extension PostgresClient.Configuration {
    /// postgres-kit parses URLs; postgres-nio's pool takes its own configuration type.
    init(_ configuration: PostgresConnection.Configuration) {
        let tls: PostgresClient.Configuration.TLS =
            switch (configuration.tls.isEnforced, configuration.tls.isAllowed) {
            case (true, _): .require(configuration.tls.sslContext!.configuration)
            case (_, true): .prefer(configuration.tls.sslContext!.configuration)
            default: .disable
            }
        if let host = configuration.host, let port = configuration.port {
            self.init(
                host: host, port: port, username: configuration.username, password: configuration.password,
                database: configuration.database, tls: tls)
        } else {
            self.init(
                unixSocketPath: configuration.unixSocketPath ?? "/var/run/postgresql/.s.PGSQL.5432",
                username: configuration.username, password: configuration.password, database: configuration.database)
        }
    }
}
