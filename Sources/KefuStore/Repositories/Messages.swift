import Foundation
import KefuCore

public struct AppendResult: Sendable {
    public var message: Message
    /// False when the same client message id was already stored (the stored message is returned).
    public var created: Bool
    /// Where the conversation belongs, so the message can be routed to its watchers.
    public var contactId: ContactID
    public var inboxId: InboxID

    public init(message: Message, created: Bool, contactId: ContactID, inboxId: InboxID) {
        self.message = message
        self.created = created
        self.contactId = contactId
        self.inboxId = inboxId
    }
}

public protocol MessageRepository: Sendable {
    /// Stores a message with the next sequence number of its conversation, atomically.
    /// Idempotent on `clientMessageId` within a conversation.
    func appendMessage(conversationId: ConversationID, _ message: NewMessage) async throws -> AppendResult
    func message(id: MessageID) async throws -> Message?
    /// Messages with seq > `since`, oldest first.
    func messages(conversationId: ConversationID, since: Int64, limit: Int) async throws -> [Message]
    /// The message a sender stored under `clientMessageId`, if any.
    func message(conversationId: ConversationID, clientMessageId: String) async throws -> Message?
}

public protocol AttachmentRepository: Sendable {
    /// Records an upload; only its uploader can attach it to a message (once).
    func createAttachment(sha256: String, size: Int64, contentType: String, filename: String, uploadedBy: Author) async throws
        -> Attachment
    func attachment(id: AttachmentID) async throws -> Attachment?
    /// The attachment if this customer may see it: they uploaded it, or it is on a non-private
    /// message of one of their conversations.
    func attachment(id: AttachmentID, visibleTo contactId: ContactID) async throws -> Attachment?
}
