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
    /// When the subscriber started following every conversation it is told about (an agents'
    /// feed, a visitor's later conversations), less a margin for writers' clocks. The first
    /// event of a conversation it has not followed yet may come after earlier ones that were
    /// written since then and not published to it (their writer published later, or its notice to
    /// this instance was lost): `firstSight(before:)` asks for those from the store.
    public var followingFrom: Date?

    public init(since: [ConversationID: Int64] = [:], followingFrom: Date? = nil) {
        self.delivered = since
        self.followingFrom = followingFrom
    }

    /// Seconds before a subscriber opened that `followingFrom` starts: a message's time is its
    /// writer's clock, taken before its commit.
    public static let clockMargin: TimeInterval = 5

    /// Follows every conversation the subscriber is told about from `opened` (less the margin).
    public mutating func followEverything(openedAt opened: Date) {
        followingFrom = opened.addingTimeInterval(-Self.clockMargin)
    }

    /// How far back (in seq) the first sight of a conversation looks for messages written since
    /// `followingFrom`: one page, so a long conversation costs one bounded read.
    public static let firstSightLookback: Int64 = 200

    /// The seq after which to look for stored messages written since `followingFrom` when
    /// `event` is the first of its conversation this subscriber sees, and the time to look from.
    public func firstSight(before event: ConversationEvent) -> (after: Int64, writtenSince: Date)? {
        guard let followingFrom, let seq = event.seq, seq > 1, delivered[event.conversationId] == nil else { return nil }
        return (max(0, seq - 1 - Self.firstSightLookback), followingFrom)
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
