import Foundation
import KefuCore

/// The memory every connection's message in progress (DATA, held until stored) may use
/// together. Each connection may take up to the size limit (25 MB), and the listener takes a
/// thousand connections: without a shared budget a flood of large messages could ask for 26 GB.
/// A message that does not fit is read to its end and refused with `452 4.3.1` (try later):
/// the sender keeps it and retries, as it would for any temporary failure.
///
/// So that a few senders cannot hold the whole budget (slowly, for as long as the idle limit
/// allows), one client address may hold at most an eighth of it, and the last sixteenth is kept
/// for small messages (up to 1 MiB): a customer's ordinary mail still gets through while large
/// ones wait their turn.
public final class MessageMemoryBudget: Sendable {
    public let limit: Int
    public let perAddress: Int
    public let smallReserve: Int
    public static let smallMessage = 1 << 20

    private struct Use {
        var total = 0
        var byAddress: [String: Int] = [:]
    }

    private let lock = NSLock()
    nonisolated(unsafe) private var use = Use()

    public init(limit: Int) {
        self.limit = limit
        self.perAddress = max(Self.smallMessage, limit / 8)
        self.smallReserve = limit / 16
    }

    /// A sixteenth of the machine's memory, between 64 MiB and 512 MiB. The budget counts the
    /// messages' bytes; the process holds about twice that while they are received and stored.
    public static var forThisMachine: Int {
        min(512 << 20, max(64 << 20, Int(clamping: ProcessInfo.processInfo.physicalMemory / 16)))
    }

    /// Takes `bytes` more for a message from `network` (`ClientNetwork.key`) that will then hold
    /// `messageTotal`, unless that would pass the budget, the network's share, or (for a message
    /// past `smallMessage`) the part not kept for small messages.
    func take(_ bytes: Int, network key: String, messageTotal: Int) -> Bool {
        lock.withLock {
            let ceiling = messageTotal > Self.smallMessage ? limit - smallReserve : limit
            guard use.total + bytes <= ceiling, use.byAddress[key, default: 0] + bytes <= perAddress else { return false }
            use.total += bytes
            use.byAddress[key, default: 0] += bytes
            return true
        }
    }

    func give(_ bytes: Int, network key: String) {
        lock.withLock {
            use.total = max(0, use.total - bytes)
            let left = use.byAddress[key, default: 0] - bytes
            use.byAddress[key] = left > 0 ? left : nil
        }
    }

    /// Bytes held now by messages in progress.
    public var used: Int { lock.withLock { use.total } }
}
