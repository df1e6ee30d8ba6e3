import Foundation
import KefuCore

/// Joins "what the store says happened after `since`" with "what is being published now"
/// without losing or repeating an event.
///
/// A reconnecting subscriber first subscribes to live events, then reads the store for every
/// event after the `seq` it last saw, delivers those, and only then drains the live events
/// that arrived meanwhile. Any durable event whose `seq` is not above the highest delivered for
/// its conversation was already delivered (by the replay or earlier) and is skipped. Ephemeral
/// events always pass.
public struct ReplayCursor: Sendable, Equatable {
    private var delivered: [ConversationID: Int64]

    public init(since: [ConversationID: Int64] = [:]) {
        self.delivered = since
    }

    /// The highest `seq` delivered for a conversation (the `since` to reconnect with).
    public func lastSeq(_ conversation: ConversationID) -> Int64 {
        delivered[conversation] ?? 0
    }

    /// The `seq` after which stored messages are missing when `event` arrives: it is durable,
    /// its conversation has been followed, and it is more than one past the last delivered.
    /// Two writers to one conversation commit in `seq` order but may publish in either order;
    /// the subscriber then reads the missing ones from the store (they are committed: a later
    /// `seq` commits only after the earlier one) before `event`, instead of skipping them later.
    public func missing(before event: ConversationEvent) -> Int64? {
        guard let seq = event.seq, let last = delivered[event.conversationId], seq > last + 1 else { return nil }
        return last
    }

    /// Whether to deliver `event`; records it as delivered when it is durable and new.
    public mutating func admit(_ event: ConversationEvent) -> Bool {
        guard let seq = event.seq else { return true }
        let last = delivered[event.conversationId] ?? 0
        guard seq > last else { return false }
        delivered[event.conversationId] = seq
        return true
    }
}
