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
public final class EventHub: Sendable {
    public static let defaultBufferSize = 1024

    private struct Subscriber: Sendable {
        let topics: Set<EventTopic>
        let continuation: AsyncThrowingStream<ConversationEvent, any Error>.Continuation
    }

    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    private let bufferSize: Int

    public init(bufferSize: Int = EventHub.defaultBufferSize) {
        self.bufferSize = bufferSize
    }

    /// Live events for `topics` from now on, until the returned stream is dropped or cancelled.
    public func subscribe(_ topics: Set<EventTopic>) -> AsyncThrowingStream<ConversationEvent, any Error> {
        let id = UUID()
        let (stream, continuation) = AsyncThrowingStream<ConversationEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(bufferSize))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = Subscriber(topics: topics, continuation: continuation) }
        return stream
    }

    /// Delivers `event` to every subscriber of its conversation, its contact, or all conversations.
    public func publish(_ event: ConversationEvent) {
        let targets = subscribers.withLock { subscribers in
            subscribers.values.filter {
                $0.topics.contains(.allConversations) || $0.topics.contains(.conversation(event.conversationId))
                    || $0.topics.contains(.contact(event.contactId))
            }
        }
        for subscriber in targets {
            if case .dropped = subscriber.continuation.yield(event) {
                subscriber.continuation.finish(throwing: EventHubError.overflow)
            }
        }
    }

    /// How many subscriptions are open (for metrics and tests).
    public var subscriberCount: Int { subscribers.withLock { $0.count } }
}

public enum EventHubError: Error, Equatable {
    /// The subscriber fell too far behind; reconnect with `since` to replay the gap.
    case overflow
}
