import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// SQLite in WAL mode: one writer connection behind a FIFO gate, a few reader connections.
public final class SQLiteStoreDatabase: Database {
    public let flavor = SQLFlavor.sqlite
    public let path: String
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let gate = AsyncSerialGate()
    private let nextReader = Mutex(0)

    private init(path: String, writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.path = path
        self.writer = writer
        self.readers = readers
    }

    public static func open(path: String, readerCount: Int = 4, logger: Logger) async throws -> SQLiteStoreDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Every connection opened is closed again if a later step fails (an unwritable or corrupt
        // file): an unclosed connection aborts a debug build and leaks in a release one.
        var opened: [SQLiteConnection] = []
        do {
            let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            opened.append(writer)
            // WAL lets readers run while the writer commits; synchronous=NORMAL is durable in WAL
            // except on power loss of the last transaction, the usual trade for a helpdesk.
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA busy_timeout = 5000", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL"] {
                _ = try await writer.query(pragma)
            }
            var readers: [SQLiteConnection] = []
            for _ in 0..<readerCount {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                opened.append(reader)
                for pragma in ["PRAGMA busy_timeout = 5000", "PRAGMA foreign_keys = ON", "PRAGMA query_only = ON"] {
                    _ = try await reader.query(pragma)
                }
                readers.append(reader)
            }
            return SQLiteStoreDatabase(path: path, writer: writer, readers: readers)
        } catch {
            for connection in opened { try? await connection.close() }
            throw error
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let index = nextReader.withLock { value in
            defer { value = (value + 1) % readers.count }
            return value
        }
        return try await DatabaseTiming.measure { try await body(readers[index].sql()) }
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await gate.withGate {
            try await DatabaseTiming.measure {
                let sql = self.writer.sql()
                // IMMEDIATE takes the write lock up front, so a read-then-write transaction can
                // never fail half-way with SQLITE_BUSY when another process writes.
                try await sql.raw("BEGIN IMMEDIATE").run()
                do {
                    let result = try await body(sql)
                    try await sql.raw("COMMIT").run()
                    return result
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    throw error
                }
            }
        }
    }

    /// A consistent copy of the live database, taken without stopping writers (`VACUUM INTO`).
    public func backup(to destination: String) async throws {
        try await gate.withGate {
            try await self.writer.sql().raw("VACUUM INTO \(bind: destination)").run()
        }
    }

    public func close() async throws {
        for reader in readers { try await reader.close() }
        try await writer.close()
    }
}
