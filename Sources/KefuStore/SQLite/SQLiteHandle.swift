import CKefuSQLite
import Foundation
import NIOCore
import SQLiteNIO
import VaporCSQLite

/// One SQLite connection driven through the C API, with its prepared statements kept for reuse.
///
/// Not thread-safe: the owner uses it from one thread at a time (its `DatabaseThread`). Every
/// statement is stepped to its end and reset before the call returns, so no statement keeps a
/// read snapshot open between calls.
final class SQLiteHandle: @unchecked Sendable {
    private var raw: OpaquePointer?
    private var cache: [String: CachedStatement] = [:]
    private var useClock: UInt64 = 0
    /// Enough for every distinct statement Kefu's hot paths run; statements whose text varies
    /// (an `IN` list of a new length) push out the least recently used.
    private let cacheCapacity: Int

    init(path: String, cacheCapacity: Int = 256) throws {
        self.cacheCapacity = cacheCapacity
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let failure = SQLiteFailure(code: status, handle: handle)
            sqlite_nio_sqlite3_close(handle)
            throw failure
        }
        raw = handle
        sqlite_nio_sqlite3_extended_result_codes(handle, 1)
        sqlite_nio_sqlite3_busy_timeout(handle, 5000)
        // Without it SQLite re-prepares a kept statement whenever a value bound where the plan
        // might use it changes (a LIKE pattern, a value compared with an indexed column): every
        // run of the journal's subscription check did. Kefu's plans never depend on the values.
        let stable = kefu_sqlite_enable_stable_plans(UnsafeMutableRawPointer(handle))
        guard stable == SQLITE_OK else {
            sqlite_nio_sqlite3_close(handle)
            raw = nil
            throw SQLiteFailure(code: stable, message: "could not turn on stable query plans")
        }
    }

    deinit { close() }

    /// False while a transaction is open on this connection (`sqlite3_get_autocommit`).
    var isInTransaction: Bool {
        guard let raw else { return false }
        return sqlite_nio_sqlite3_get_autocommit(raw) == 0
    }

    /// Runs `sql` with `binds`, calling `onRow` for every row it returns.
    func execute(_ sql: String, _ binds: [SQLiteData], onRow: (SQLiteValuesRow) throws -> Void) throws {
        guard let raw else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
        let entry = try statement(for: sql, on: raw)
        defer { release(entry) }
        let statement = entry.statement
        for (index, bind) in binds.enumerated() {
            try check(bindValue(bind, at: Int32(index + 1), in: statement), raw)
        }
        var columns: SQLiteColumns?
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw SQLiteFailure(code: status, handle: raw) }
            let names = columns ?? entry.columns(statement)
            columns = names
            var values: [SQLiteData] = []
            values.reserveCapacity(names.names.count)
            for index in 0..<Int32(names.names.count) {
                values.append(try value(at: index, in: statement))
            }
            try onRow(SQLiteValuesRow(columns: names, values: values))
        }
    }

    /// Runs statements that return nothing (pragmas, `BEGIN`, `COMMIT`) without caching them.
    func run(_ sql: String) throws {
        guard let raw else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite_nio_sqlite3_exec(raw, sql, nil, nil, &error)
        if status != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite_nio_sqlite3_errstr(status))
            sqlite_nio_sqlite3_free(error)
            throw SQLiteFailure(code: sqlite_nio_sqlite3_extended_errcode(raw), message: message)
        }
    }

    typealias WALHook = @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32

    /// Calls `hook` after every commit with the pages in the WAL; it replaces SQLite's own
    /// automatic checkpoint.
    func setWALHook(_ context: UnsafeMutableRawPointer?, _ hook: WALHook?) {
        guard let raw else { return }
        _ = sqlite_nio_sqlite3_wal_hook(raw, hook, context)
    }

    func close() {
        for entry in cache.values { sqlite_nio_sqlite3_finalize(entry.statement) }
        cache.removeAll()
        if let raw { sqlite_nio_sqlite3_close_v2(raw) }
        raw = nil
    }

    // MARK: Statements

    private func statement(for sql: String, on raw: OpaquePointer) throws -> CachedStatement {
        useClock &+= 1
        if let entry = cache[sql], !entry.inUse {
            entry.inUse = true
            entry.lastUse = useClock
            return entry
        }
        var statement: OpaquePointer?
        let flags = UInt32(SQLITE_PREPARE_PERSISTENT)
        let status = sqlite_nio_sqlite3_prepare_v3(raw, sql, -1, flags, &statement, nil)
        guard status == SQLITE_OK, let statement else {
            sqlite_nio_sqlite3_finalize(statement)
            throw SQLiteFailure(code: status, handle: raw)
        }
        let entry = CachedStatement(statement: statement, lastUse: useClock)
        entry.inUse = true
        // A statement already cached and in use (a query run from inside another's row callback)
        // gets a one-off copy that is finalized after its run.
        if cache[sql] == nil {
            // A scan, without copying the cache: it runs only on a miss once the cache is full.
            if cache.count >= cacheCapacity, let oldest = cache.lazy.filter({ !$0.value.inUse }).min(by: { $0.value.lastUse < $1.value.lastUse }) {
                sqlite_nio_sqlite3_finalize(oldest.value.statement)
                cache[oldest.key] = nil
            }
            cache[sql] = entry
        } else {
            entry.isOneOff = true
        }
        return entry
    }

    private func release(_ entry: CachedStatement) {
        sqlite_nio_sqlite3_reset(entry.statement)
        sqlite_nio_sqlite3_clear_bindings(entry.statement)
        entry.inUse = false
        if entry.isOneOff { sqlite_nio_sqlite3_finalize(entry.statement) }
    }

    private func check(_ status: Int32, _ raw: OpaquePointer) throws {
        guard status == SQLITE_OK else { throw SQLiteFailure(code: status, handle: raw) }
    }

    private func bindValue(_ value: SQLiteData, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let integer):
            return sqlite_nio_sqlite3_bind_int64(statement, index, Int64(integer))
        case .float(let double):
            return sqlite_nio_sqlite3_bind_double(statement, index, double)
        case .text(let text):
            // The explicit length keeps text with an embedded NUL whole.
            return sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count), transientDestructor, UInt8(SQLITE_UTF8))
        case .blob(let buffer):
            return buffer.withUnsafeReadableBytes { bytes in
                // A zero-length blob still binds as a blob, not as NULL.
                bytes.count == 0
                    ? sqlite_nio_sqlite3_bind_zeroblob(statement, index, 0)
                    : sqlite_nio_sqlite3_bind_blob64(statement, index, bytes.baseAddress, UInt64(bytes.count), transientDestructor)
            }
        case .null:
            return sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private func value(at index: Int32, in statement: OpaquePointer) throws -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, index)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            guard let text = sqlite_nio_sqlite3_column_text(statement, index) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, index) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
            }
            return .blob(buffer)
        default:
            return .null
        }
    }
}

private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement kept between runs, with the column names of its result.
private final class CachedStatement {
    let statement: OpaquePointer
    var lastUse: UInt64
    var inUse = false
    var isOneOff = false
    private var names: SQLiteColumns?
    private var prepareCount: Int32 = -1

    init(statement: OpaquePointer, lastUse: UInt64) {
        self.statement = statement
        self.lastUse = lastUse
    }

    /// The result's column names, read again when SQLite re-prepared the statement after a
    /// schema change (a migration can change what `SELECT *` returns).
    func columns(_ statement: OpaquePointer) -> SQLiteColumns {
        let reprepared = sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 0)
        if let names, reprepared == prepareCount { return names }
        let count = sqlite_nio_sqlite3_column_count(statement)
        let read = SQLiteColumns(names: (0..<count).map { index in
            sqlite_nio_sqlite3_column_name(statement, index).map { String(cString: $0) } ?? ""
        })
        names = read
        prepareCount = reprepared
        return read
    }
}
