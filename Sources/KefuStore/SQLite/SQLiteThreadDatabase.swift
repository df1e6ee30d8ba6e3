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
        let binds = try rawBinds.map(Self.encode)
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

    /// The common bind types directly, everything else the way SQLiteKit encodes it. Same
    /// results as `SQLiteDataEncoder`; the shortcut skips its protocol-conformance lookup, which
    /// a profile of the message append showed among its larger costs.
    private static func encode(_ value: any Encodable & Sendable) throws -> SQLiteData {
        switch value {
        case let text as String: .text(text)
        case let integer as Int: .integer(integer)
        case let integer as Int64: .integer(Int(integer))
        case let flag as Bool: .integer(flag ? 1 : 0)
        default: try encoder.encode(value)
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
        let value = values[index]
        // The types every row is read as, converted as `SQLiteDataDecoder` converts them;
        // anything else (and every mismatch, for its error) goes through the decoder.
        switch value {
        case .text(let text):
            if D.self == String.self { return text as! D }
            if D.self == String?.self { return String?.some(text) as! D }
        case .integer(let integer):
            if D.self == Int.self { return integer as! D }
            if D.self == Int64.self { return Int64(integer) as! D }
            if D.self == Int?.self { return Int?.some(integer) as! D }
            if D.self == Int64?.self { return Int64?.some(Int64(integer)) as! D }
        case .null:
            if D.self == String?.self { return String?.none as! D }
            if D.self == Int?.self { return Int?.none as! D }
            if D.self == Int64?.self { return Int64?.none as! D }
        default:
            break
        }
        return try Self.decoder.decode(D.self, from: value)
    }
}

struct MissingColumn: Error, CustomStringConvertible {
    let column: String
    var description: String { "no column named \(column) in the result" }
}
