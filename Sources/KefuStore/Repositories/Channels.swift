import Foundation
import KefuCore

/// What happened to an inbound message from a channel without mail threading.
public struct ChannelReceiveOutcome: Sendable {
    /// The receipt key was stored before: nothing was added.
    public var duplicate: Bool
    public var conversation: Conversation?
    public var appended: AppendResult?
    public var contact: Contact?
    public var newConversation: Bool
    /// The status change recorded when a resolved conversation was reopened.
    public var reopenMessage: Message?

    public init(
        duplicate: Bool, conversation: Conversation? = nil, appended: AppendResult? = nil, contact: Contact? = nil, newConversation: Bool = false,
        reopenMessage: Message? = nil
    ) {
        self.duplicate = duplicate
        self.conversation = conversation
        self.appended = appended
        self.contact = contact
        self.newConversation = newConversation
        self.reopenMessage = reopenMessage
    }
}

/// Where a conversation lives on its channel.
public struct ChannelThread: Sendable, Equatable {
    public var conversationId: ConversationID
    public var inboxId: InboxID
    public var threadKey: String
    /// The customer's latest message there (a reply in a group quotes it).
    public var replyTo: String?
}

public protocol ChannelThreadRepository: Sendable {
    /// Stores an inbound message in one transaction: its receipt (a key seen before is a
    /// duplicate and changes nothing), the contact of its identity (created when new), the
    /// conversation `ChannelThreading` picks (reopened or new), its files and the message.
    func receive(_ inbound: InboundMessage, inboxId: InboxID, reopenWindow: TimeInterval) async throws -> ChannelReceiveOutcome
    /// Records a customer's edit of the message the channel calls `channelMessageId` in this
    /// inbox, as a system line beside the original; nil when Kefu never stored that message.
    func receiveEdit(channelMessageId: String, text: String, inboxId: InboxID, receiptKey: String) async throws -> AppendResult?
    func channelThread(conversationId: ConversationID) async throws -> ChannelThread?
    /// What an inbound update with this receipt key became (for answering a repeat).
    func channelReceipt(inboxId: InboxID, key: String) async throws -> (conversationId: ConversationID?, messageId: MessageID?)?
    func contact(identity: String) async throws -> Contact?
}
