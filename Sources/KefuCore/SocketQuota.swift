import Foundation

/// How many live sockets one holder (a visitor's chat session, an agent's session) may keep
/// open at once. The connection caps keep a flood of sockets from taking the process down; this
/// keeps one session from taking the chat sockets' whole share: a few tabs, not thousands.
///
/// `hasRoom` answers the handshake (a refusal the client can read); `take` is the real count,
/// made once the socket is open, since a handshake that passed may still never upgrade.
public final class SocketQuota: Sendable {
    public let perHolder: Int
    private let lock = NSLock()
    nonisolated(unsafe) private var open: [String: Int] = [:]

    public init(perHolder: Int) {
        self.perHolder = perHolder
    }

    public func hasRoom(_ holder: String) -> Bool {
        lock.withLock { open[holder, default: 0] < perHolder }
    }

    /// Counts one socket for `holder`, unless it already has `perHolder` open.
    public func take(_ holder: String) -> Bool {
        lock.withLock {
            guard open[holder, default: 0] < perHolder else { return false }
            open[holder, default: 0] += 1
            return true
        }
    }

    /// The socket `take` counted has closed.
    public func give(_ holder: String) {
        lock.withLock {
            let left = open[holder, default: 0] - 1
            open[holder] = left > 0 ? left : nil
        }
    }

    /// Runs `body` while holding one of `holder`'s sockets; false (and `body` not run) when
    /// the holder has none left.
    public func holding(_ holder: String, _ body: () async throws -> Void) async rethrows -> Bool {
        guard take(holder) else { return false }
        defer { give(holder) }
        try await body()
        return true
    }
}
