import VaporCSQLite

/// An error reported by SQLite itself: its extended result code and message.
public struct SQLiteFailure: Error, CustomStringConvertible, Sendable {
    /// SQLite's extended result code (`SQLITE_CONSTRAINT_UNIQUE` is 2067, and so on).
    public let code: Int32
    public let message: String

    /// The primary result code (the low byte of the extended one).
    public var primaryCode: Int32 { code & 0xFF }

    public var isUniqueViolation: Bool {
        code == Self.constraintUnique || code == Self.constraintPrimaryKey
    }

    public var description: String { "SQLite error \(code): \(message)" }

    static let constraintUnique: Int32 = 2067  // SQLITE_CONSTRAINT | (8 << 8)
    static let constraintPrimaryKey: Int32 = 1555  // SQLITE_CONSTRAINT | (6 << 8)

    init(code: Int32, handle: OpaquePointer?) {
        self.code = code
        if let handle, let text = sqlite_nio_sqlite3_errmsg(handle) {
            self.message = String(cString: text)
        } else {
            self.message = String(cString: sqlite_nio_sqlite3_errstr(code))
        }
    }

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }
}
