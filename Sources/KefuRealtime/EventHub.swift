import Foundation
import KefuCore
import Synchronization

/// In-process publish/subscribe of conversation events.
///
/// Publishing never waits for subscribers: each subscription has a bounded buffer, and a
/// subscriber that falls behind by more than that is *ended* (its stream finishes with
/// `EventHubError.overflow`) rather than silently missing events. Its client reconnects with
/// the last `seq` it saw and replays the gap from the store, so slowness costs a reconnect,
/// never a message. Several Kefu instances will bridge hubs through PostgreSQL LISTEN/NOTIFY.
///
/// Subscribers are filed under each of their topics, so a publish looks at the three topics an
/// event can match (its conversation, its contact, all conversations) instead of every open
/// socket: with a thousand widgets open, filtering them all per event was a quarter of the
/// chat load's CPU, inside the lock.
public final class EventHub: Sendable {
    /// Enough for a burst to a slow reader. The buffer grows only as events wait in it, so the
    /// bound costs an idle subscriber nothing.
    public static let defaultBufferSize = 1024

    typealias Continuation = AsyncThrowingStream<ConversationEvent, any Error>.Continuation

    private struct Listeners {
        var byTopic: [EventTopic: [Int: Continuation]] = [:]
        var nextId = 0
        var count = 0

        mutating func add(_ continuation: Continuation, under topics: Set<EventTopic>) -> Int {
            nextId += 1
            for topic in topics { byTopic[topic, default: [:]][nextId] = continuation }
            // With no topic nothing is filed, and nothing would remove it again.
            if !topics.isEmpty { count += 1 }
            return nextId
        }

        mutating func remove(_ id: Int, from topics: Set<EventTopic>) {
            var removed = false
            for topic in topics {
                guard var listeners = byTopic[topic], listeners.removeValue(forKey: id) != nil else { continue }
                removed = true
                byTopic[topic] = listeners.isEmpty ? nil : listeners
            }
            if removed { count -= 1 }
        }

        /// Everyone `event` is for, each once even when several of their topics match.
        func targets(of event: ConversationEvent) -> [Continuation] {
            let matching = [
                byTopic[.conversation(event.conversationId)], byTopic[.contact(event.contactId)], byTopic[.allConversations],
            ].compactMap { $0 }
            if matching.count == 1 { return Array(matching[0].values) }
            var unique: [Int: Continuation] = [:]
            for listeners in matching { unique.merge(listeners) { first, _ in first } }
            return Array(unique.values)
        }
    }

    private let listeners = Mutex(Listeners())
    private let bufferSize: Int

    public init(bufferSize: Int = EventHub.defaultBufferSize) {
        self.bufferSize = bufferSize
    }

    /// Live events for `topics` from now on, until the returned stream is dropped or cancelled.
    public func subscribe(_ topics: Set<EventTopic>) -> AsyncThrowingStream<ConversationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ConversationEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(bufferSize))
        let id = listeners.withLock { $0.add(continuation, under: topics) }
        continuation.onTermination = { [weak self] _ in
            self?.listeners.withLock { $0.remove(id, from: topics) }
        }
        return stream
    }

    /// Delivers `event` to every subscriber of its conversation, its contact, or all conversations.
    public func publish(_ event: ConversationEvent) {
        let targets = listeners.withLock { $0.targets(of: event) }
        for continuation in targets {
            if case .dropped = continuation.yield(event) {
                continuation.finish(throwing: EventHubError.overflow)
            }
        }
    }

    /// How many subscriptions are open (for metrics and tests).
    public var subscriberCount: Int { listeners.withLock { $0.count } }
}

public enum EventHubError: Error, Equatable {
    /// The subscriber fell too far behind; reconnect with `since` to replay the gap.
    case overflow
}
