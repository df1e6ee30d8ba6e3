import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLKit's view of one `SQLiteHandle`: statements built by SQLKit, run synchronously on the
/// handle's own thread.
///
/// The store's transaction bodies run with that thread as their task executor, so `execute`
/// is a function call there. Called from anywhere else (a task that escaped the body), it hops
/// to the thread first rather than touching the handle from a second thread. The writer has no
/// thread (`nil`): its transactions run on the thread of the caller that holds it.
struct SQLiteThreadDatabase: SQLDatabase {
    let handle: SQLiteHandle
    let thread: DatabaseThread?
    let logger: Logger
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    private static let encoder = SQLiteDataEncoder()

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, rawBinds) = serialize(query)
        let binds = try rawBinds.map { try Self.encoder.encode($0) }
        if logger.logLevel <= .trace {
            logger.trace("Executing query", metadata: ["sql": .string(sql)])
        }
        guard let thread, !thread.isCurrent else {
            try handle.execute(sql, binds) { onRow($0) }
            return
        }
        do {
            try await withTaskExecutorPreference(thread) {
                try handle.execute(sql, binds) { onRow($0) }
            }
        }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}

/// The column names of one result, shared by its rows.
final class SQLiteColumns: Sendable {
    let names: [String]
    let lookup: [String: Int]

    init(names: [String]) {
        self.names = names
        // The first column of a name wins, as in SQLiteNIO.
        self.lookup = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// One result row, decoded the way SQLiteKit decodes (`SQLiteDataDecoder`).
struct SQLiteValuesRow: SQLRow {
    let columns: SQLiteColumns
    let values: [SQLiteData]
    private static let decoder = SQLiteDataDecoder()

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.lookup[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let index = columns.lookup[column] else { return true }
        return values[index] == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let index = columns.lookup[column] else { throw MissingColumn(column: column) }
        return try Self.decoder.decode(D.self, from: values[index])
    }
}

struct MissingColumn: Error, CustomStringConvertible {
    let column: String
    var description: String { "no column named \(column) in the result" }
}
