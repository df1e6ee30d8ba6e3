import Foundation
import KefuCore
import Synchronization

/// Every agent console's feed carries the same message frame for each new message; the first
/// feed to send it encodes it and the others reuse the text. At ten consoles the repeated JSON
/// encoding was an eighth of the chat load's CPU.
///
/// Keyed by the message and the author's name as the feed's directory knows it, so a feed that
/// names the author differently (a colleague renamed since another feed loaded its directory)
/// encodes its own. Only the latest messages are kept: feeds send a message within moments of
/// each other, and a replay after a reconnect simply encodes again.
final class AgentFrameCache: Sendable {
    struct Key: Hashable, Sendable {
        let message: MessageID
        let authorName: String?
    }

    private struct Entries {
        var frames: [Key: String] = [:]
        var order: [Key] = []
        var next = 0
    }

    private let entries = Mutex(Entries())
    let capacity: Int

    init(capacity: Int = 512) {
        self.capacity = max(1, capacity)
    }

    /// The frame for `key`, encoded by `encode` only when no feed has encoded it yet.
    func frame(for key: Key, encode: () -> String) -> String {
        if let known = entries.withLock({ $0.frames[key] }) { return known }
        let frame = encode()
        entries.withLock { entries in
            guard entries.frames.updateValue(frame, forKey: key) == nil else { return }
            // A ring of keys: the oldest entry leaves when a new one arrives at capacity.
            if entries.order.count < capacity {
                entries.order.append(key)
            } else {
                entries.frames.removeValue(forKey: entries.order[entries.next])
                entries.order[entries.next] = key
                entries.next = (entries.next + 1) % capacity
            }
        }
        return frame
    }

    var count: Int { entries.withLock { $0.frames.count } }
}
