import Foundation
import KefuCore

/// Something that happened in a conversation, as subscribers (agent consoles, widgets) see it.
///
/// Durable events carry the conversation's sequence number: they are messages (customer,
/// agent, note, system), stored before they are published, so a subscriber that missed some
/// can read them back from the store by `seq`. Ephemeral events (typing) have no `seq` and
/// are simply lost when nobody is listening, which is what typing indicators should do.
public struct ConversationEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case message(Message)
        case typing(Author, isTyping: Bool)
    }

    public let conversationId: ConversationID
    public let kind: Kind

    public init(conversationId: ConversationID, kind: Kind) {
        self.conversationId = conversationId
        self.kind = kind
    }

    public static func message(_ message: Message) -> ConversationEvent {
        ConversationEvent(conversationId: message.conversationId, kind: .message(message))
    }

    /// The durable position of this event, nil for ephemeral ones.
    public var seq: Int64? {
        if case .message(let message) = kind { return message.seq }
        return nil
    }

    /// Private notes never reach customers.
    public var isVisibleToCustomers: Bool {
        if case .message(let message) = kind { return message.direction != .note }
        return true
    }
}

/// Who listens for what.
public enum EventTopic: Hashable, Sendable {
    /// Every event of one conversation (a widget, an open conversation view).
    case conversation(ConversationID)
    /// Every event of every conversation (the agents' inbox list).
    case allConversations
}
