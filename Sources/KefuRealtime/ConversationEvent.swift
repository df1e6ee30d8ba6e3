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
        /// The customer (`.contact`) or an agent (`.agent`) has read up to `seq`.
        case read(AuthorKind, seq: Int64)
        /// The mail carrying an agent's reply changed state (sent, retrying, failed): for agents.
        case delivery(MessageID?, status: String)
    }

    public let conversationId: ConversationID
    /// The conversation's customer and inbox, so a widget can follow "my conversation in this
    /// inbox" before it knows the conversation's id.
    public let contactId: ContactID
    public let inboxId: InboxID
    public let kind: Kind

    public init(conversationId: ConversationID, contactId: ContactID, inboxId: InboxID, kind: Kind) {
        self.conversationId = conversationId
        self.contactId = contactId
        self.inboxId = inboxId
        self.kind = kind
    }

    public static func message(_ message: Message, contactId: ContactID, inboxId: InboxID) -> ConversationEvent {
        ConversationEvent(conversationId: message.conversationId, contactId: contactId, inboxId: inboxId, kind: .message(message))
    }

    /// The durable position of this event, nil for ephemeral ones.
    public var seq: Int64? {
        if case .message(let message) = kind { return message.seq }
        return nil
    }

    /// Private notes never reach customers.
    public var isVisibleToCustomers: Bool {
        if case .message(let message) = kind { return message.direction != .note }
        if case .delivery = kind { return false }
        return true
    }
}

/// Who listens for what.
public enum EventTopic: Hashable, Sendable {
    /// Every event of one conversation (an open conversation view).
    case conversation(ConversationID)
    /// Every event of one customer's conversations (their chat widget).
    case contact(ContactID)
    /// Every event of every conversation (the agents' inbox list).
    case allConversations
}
