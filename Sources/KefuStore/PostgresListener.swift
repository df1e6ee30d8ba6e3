import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// One connection of its own that LISTENs on a channel, outside the pool: a pooled connection
/// goes back to the pool (or through a transaction pooler) between uses and its LISTEN with it.
/// A dropped or silent connection is replaced; `connected` runs after every LISTEN, because
/// whatever was notified while nobody listened is lost and the caller has to catch up.
public struct PostgresListener: Sendable {
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    /// How often the connection is asked a `SELECT 1`: a server that went away without closing
    /// the socket (a crash of its machine, a cut cable) is noticed within this plus `pingTimeout`.
    let pingEvery: Duration
    let pingTimeout: Duration

    public init(url: String, logger: Logger, pingEvery: Duration = .seconds(15), pingTimeout: Duration = .seconds(5)) throws {
        guard let parsed = try? SQLPostgresConfiguration(url: url) else { throw DatabaseLocation.InvalidURL(url: url) }
        self.configuration = parsed.coreConfiguration
        self.logger = logger
        self.pingEvery = pingEvery
        self.pingTimeout = pingTimeout
    }

    /// Listens until cancelled, reconnecting after one second, then two, up to ten.
    public func listen(
        channel: String, connected: @escaping @Sendable () async -> Void, received: @escaping @Sendable (String) async -> Void
    ) async {
        var wait = 1
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                wait = 1
                do {
                    try await listen(on: connection, channel: channel, connected: connected, received: received)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening connection lost; connecting again", metadata: ["channel": "\(channel)", "error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: .seconds(wait))
            wait = min(10, wait * 2)
        }
    }

    private func listen(
        on connection: PostgresConnection, channel: String, connected: @Sendable () async -> Void,
        received: @escaping @Sendable (String) async -> Void
    ) async throws {
        try await connection.listen(on: channel) { notifications in
            await connected()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await notification in notifications { await received(notification.payload) }
                    throw ListenerEnded()
                }
                group.addTask { try await keepAsking(connection) }
                // Whichever ends first (the stream, or a ping that failed) ends this connection.
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }

    private func keepAsking(_ connection: PostgresConnection) async throws {
        while true {
            try await Task.sleep(for: pingEvery)
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    _ = try await connection.query("SELECT 1", logger: logger)
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: pingTimeout)
                    return false
                }
                defer { group.cancelAll() }
                guard try await group.next() == true else { throw ListenerEnded() }
            }
        }
    }

    struct ListenerEnded: Error, CustomStringConvertible {
        var description: String { "the listening connection stopped answering" }
    }
}

extension Database {
    /// Sends each payload as a NOTIFY on `channel` (PostgreSQL only), in order, on one connection.
    public func notify(_ channel: String, payloads: [String]) async throws {
        guard !payloads.isEmpty else { return }
        try await read { sql in
            for payload in payloads {
                try await sql.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
            }
        }
    }
}
