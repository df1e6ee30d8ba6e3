import Foundation
import Logging
import SQLKit
import Synchronization

/// SQLite in WAL mode: one writer with group commit, and a pool of readers on threads of their own.
///
/// A transaction's statements are plain function calls with their prepared statements reused,
/// instead of a thread hop each: a write runs on the thread of the caller that holds the writer,
/// a read on its reader's thread (task executor preference). See docs/benchmarks.md
/// ("Throughput") for what that changed.
public final class SQLiteStoreDatabase: Database {
    public let flavor = SQLFlavor.sqlite
    public let path: String
    private let writer: GroupCommitWriter
    private let writerHandle: SQLiteHandle
    private let readers: [Reader]
    private let checkpointer: Checkpointer
    private let pool: Mutex<ReaderPool>

    private struct Connection: Sendable {
        let handle: SQLiteHandle
        let thread: DatabaseThread?
        let sql: SQLiteThreadDatabase
    }

    private struct Reader: Sendable {
        let handle: SQLiteHandle
        let thread: DatabaseThread
        let sql: SQLiteThreadDatabase
    }

    private struct ReaderPool {
        var free: [Int]
        var waiting: [CheckedContinuation<Int, Never>] = []
    }

    private init(path: String, writer: Connection, readers: [Reader], checkpointer: Checkpointer) {
        self.path = path
        self.checkpointer = checkpointer
        checkpointer.watch(writer.handle)
        self.writerHandle = writer.handle
        self.writer = GroupCommitWriter(handle: writer.handle, sql: writer.sql)
        self.readers = readers
        self.pool = Mutex(ReaderPool(free: Array(readers.indices)))
    }

    /// Pages in the WAL before the background checkpoint copies them back (see `Checkpointer`).
    public static let defaultCheckpointPages = 1_000

    public static func open(
        path: String, readerCount: Int = 4, checkpointPages: Int = defaultCheckpointPages, logger: Logger
    ) async throws -> SQLiteStoreDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Every connection opened is closed again if a later step fails (an unwritable or corrupt
        // file).
        var opened: [Connection] = []
        do {
            // WAL lets readers run while the writer commits; synchronous=NORMAL is durable in WAL
            // except on power loss of the last transaction, the usual trade for a helpdesk.
            let writer = try connection(path: path, name: nil, logger: logger,
                                        pragmas: ["PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL",
                                                  "PRAGMA journal_size_limit = 67108864"])
            opened.append(writer)
            // The writer's commits never wait for a checkpoint: this connection does them.
            let checkpoint = try connection(path: path, name: "kefu-db-checkpoint", logger: logger, pragmas: [])
            opened.append(checkpoint)
            for index in 0..<max(1, readerCount) {
                let reader = try connection(path: path, name: "kefu-db-reader-\(index)", logger: logger,
                                            pragmas: ["PRAGMA foreign_keys = ON", "PRAGMA query_only = ON"])
                opened.append(reader)
            }
            let readers = opened.dropFirst(2).map { Reader(handle: $0.handle, thread: $0.thread!, sql: $0.sql) }
            return SQLiteStoreDatabase(
                path: path, writer: writer, readers: readers, checkpointer: Checkpointer(handle: checkpoint.handle, thread: checkpoint.thread!, threshold: Int32(clamping: checkpointPages)))
        } catch {
            for connection in opened {
                connection.handle.close()
                connection.thread?.stop()
            }
            throw error
        }
    }

    /// A connection, with a thread of its own when `name` is given.
    private static func connection(path: String, name: String?, logger: Logger, pragmas: [String]) throws -> Connection {
        let handle = try SQLiteHandle(path: path)
        do {
            for pragma in pragmas { try handle.run(pragma) }
        } catch {
            handle.close()
            throw error
        }
        let thread = name.map { DatabaseThread(name: $0) }
        return Connection(handle: handle, thread: thread, sql: SQLiteThreadDatabase(handle: handle, thread: thread, logger: logger))
    }

    /// The reader a read in this task holds (database and reader index), so that a read inside
    /// a read uses it instead of waiting for a second one: four reads each waiting for a second
    /// reader would otherwise wait for ever.
    @TaskLocal private static var heldReader: (database: ObjectIdentifier, index: Int)?

    /// Runs `body` on a free reader inside one read transaction, so that its statements see one
    /// snapshot of the database.
    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if let held = Self.heldReader, held.database == ObjectIdentifier(self) {
            return try await body(readers[held.index].sql)
        }
        let index = await checkOut()
        defer { checkIn(index) }
        let reader = readers[index]
        return try await DatabaseTiming.measure {
            try await withTaskExecutorPreference(reader.thread) {
                try await Self.$heldReader.withValue((ObjectIdentifier(self), index)) {
                    try reader.handle.execute("BEGIN", []) { _ in }
                    do {
                        let result = try await body(reader.sql)
                        try reader.handle.execute("COMMIT", []) { _ in }
                        return result
                    } catch {
                        if reader.handle.isInTransaction { try? reader.handle.execute("ROLLBACK", []) { _ in } }
                        throw error
                    }
                }
            }
        }
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        // The writer holds on to the body only until it has answered, which is before this returns.
        try await withoutActuallyEscaping(body) { body in
            try await DatabaseTiming.measure { try await writer.write(body) }
        }
    }

    /// Checkpoints the background connection has made (and failed to make) so far.
    public var checkpoints: (done: Int, failed: Int) {
        let counts = checkpointer.counts
        return (counts.checkpoints, counts.failures)
    }

    /// How many writes the group commits have carried so far.
    public var writeStatistics: WriteStatistics { writer.statistics }

    /// Writes waiting for the writer right now.
    var queuedWrites: Int { writer.queued }

    /// A consistent copy of the live database, taken without stopping writers (`VACUUM INTO`).
    public func backup(to destination: String) async throws {
        try await writer.exclusive { sql in
            try await sql.raw("VACUUM INTO \(bind: destination)").run()
        }
    }

    public func close() async throws {
        await writer.close()
        // Every reader is back in the pool once nobody is reading.
        for _ in readers { _ = await checkOut() }
        for reader in readers {
            reader.thread.stop()
            reader.handle.close()
        }
        writerHandle.setWALHook(nil, nil)
        checkpointer.close()
        // The last connection to close checkpoints the rest and removes the WAL.
        writerHandle.close()
    }

    private func checkOut() async -> Int {
        await withCheckedContinuation { continuation in
            let free = pool.withLock { pool -> Int? in
                if let index = pool.free.popLast() { return index }
                pool.waiting.append(continuation)
                return nil
            }
            if let free { continuation.resume(returning: free) }
        }
    }

    private func checkIn(_ index: Int) {
        let waiter = pool.withLock { pool -> CheckedContinuation<Int, Never>? in
            if pool.waiting.isEmpty {
                pool.free.append(index)
                return nil
            }
            return pool.waiting.removeFirst()
        }
        waiter?.resume(returning: index)
    }
}
