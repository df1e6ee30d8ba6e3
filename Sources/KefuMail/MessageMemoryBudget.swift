import Foundation

/// The memory every connection's message in progress (DATA, held until stored) may use
/// together. Each connection may take up to the size limit (25 MB), and the listener takes a
/// thousand connections: without a shared budget a flood of large messages could ask for 26 GB.
/// A message that does not fit is read to its end and refused with `452 4.3.1` (try later):
/// the sender keeps it and retries, as it would for any temporary failure.
public final class MessageMemoryBudget: Sendable {
    public let limit: Int
    private let lock = NSLock()
    nonisolated(unsafe) private var inUse = 0

    public init(limit: Int) {
        self.limit = limit
    }

    /// One eighth of the machine's memory, between 64 MiB and 1 GiB.
    public static var forThisMachine: Int {
        min(1 << 30, max(64 << 20, Int(clamping: ProcessInfo.processInfo.physicalMemory / 8)))
    }

    /// Takes `bytes` unless that would pass the limit.
    func take(_ bytes: Int) -> Bool {
        lock.withLock {
            guard inUse + bytes <= limit else { return false }
            inUse += bytes
            return true
        }
    }

    func give(_ bytes: Int) {
        lock.withLock { inUse = max(0, inUse - bytes) }
    }

    /// Bytes held now by messages in progress.
    public var used: Int { lock.withLock { inUse } }
}
