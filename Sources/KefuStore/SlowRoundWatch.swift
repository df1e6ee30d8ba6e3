import Foundation
import Logging
import NIOCore
import PostgresKit
import SQLKit
import Synchronization

/// Names the database rounds (a pooled read or a write transaction) that have held their
/// connection for long. A round that never ends keeps its connection from the pool for good, and
/// once every connection is held the instance stops answering: the log must say which statement it
/// ran last and where it stands (waiting for a connection, waiting on the server, or in Kefu's own
/// code between two statements) without anyone attaching a debugger.
final class SlowRoundWatch: Sendable {
    /// Where one round stands.
    enum Phase: Sendable {
        case waitingForConnection
        case inStatement(any SQLExpression)
        case afterStatement(any SQLExpression)
        case connected
    }

    final class Round: Sendable {
        let kind: String
        let started = ContinuousClock.now
        let state = Mutex<(phase: Phase, statements: Int, reportedAt: Duration?)>((.waitingForConnection, 0, nil))

        init(kind: String) { self.kind = kind }

        func connected() { state.withLock { $0.phase = .connected } }
        func begin(_ statement: any SQLExpression) {
            state.withLock {
                $0.phase = .inStatement(statement)
                $0.statements += 1
            }
        }
        func end(_ statement: any SQLExpression) { state.withLock { $0.phase = .afterStatement(statement) } }
    }

    /// A round is reported once it has been open this long; production's transactions take
    /// milliseconds, and the server ends one left idle for a minute.
    let threshold: Duration
    private let open = Mutex<(next: Int, rounds: [Int: Round])>((0, [:]))

    init(threshold: Duration = .seconds(10)) { self.threshold = threshold }

    func run<T>(_ kind: String, _ body: (Round) async throws -> T) async rethrows -> T {
        let round = Round(kind: kind)
        let key = open.withLock { open in
            open.next += 1
            open.rounds[open.next] = round
            return open.next
        }
        defer { _ = open.withLock { $0.rounds.removeValue(forKey: key) } }
        return try await body(round)
    }

    /// Reports each round past the threshold, and again every half minute it stays open, until
    /// cancelled. `database` names the pool in the log (several may share one process).
    func watch(logger: Logger, database: String, every interval: Duration = .seconds(2)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let now = ContinuousClock.now
            let rounds = open.withLock { Array($0.rounds.values) }
            let openRounds = rounds.count
            for round in rounds where now - round.started >= threshold {
                let age = now - round.started
                let report = round.state.withLock { state -> (Phase, Int)? in
                    if let last = state.reportedAt, age - last < .seconds(30) { return nil }
                    state.reportedAt = age
                    return (state.phase, state.statements)
                }
                guard let (phase, statements) = report else { continue }
                logger.warning(
                    "a database round has held on for long",
                    metadata: [
                        "round": "\(round.kind)", "seconds": "\(age.components.seconds)", "database": "\(database)",
                        "statements": "\(statements)", "where": "\(Self.describe(phase))",
                        "open_rounds": "\(openRounds)",
                    ])
            }
        }
    }

    /// The statement's text (never its bound values), cut short.
    static func describe(_ phase: Phase) -> String {
        func text(_ statement: any SQLExpression) -> String {
            var serializer = SQLSerializer(database: DescribingDatabase())
            statement.serialize(to: &serializer)
            let sql = serializer.sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            return sql.count > 160 ? String(sql.prefix(160)) + "…" : sql
        }
        switch phase {
        case .waitingForConnection: return "waiting for a pooled connection"
        case .connected: return "connected, no statement yet"
        case .inStatement(let statement): return "waiting on the server for: \(text(statement))"
        case .afterStatement(let statement): return "in Kefu's code after: \(text(statement))"
        }
    }
}

/// A connection's SQL interface that tells its round where it stands.
struct WatchedSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let round: SlowRoundWatch.Round

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        round.begin(query)
        let round = round
        return base.execute(sql: query, onRow).always { _ in round.end(query) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        round.begin(query)
        defer { round.end(query) }
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let round = round
        return try await base.withSession { try await closure(WatchedSQLDatabase(base: $0, round: round)) }
    }
}

/// Serializes a statement for the log with PostgreSQL's dialect and no connection.
private struct DescribingDatabase: SQLDatabase {
    var logger: Logger { Logger(label: "kefu.sql.describe") }
    var eventLoop: any EventLoop { NIOSingletons.posixEventLoopGroup.next() }
    var dialect: any SQLDialect { PostgresDialect() }
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeSucceededVoidFuture()
    }
}
