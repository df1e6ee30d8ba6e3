import Foundation
import KefuCore

/// What happened to a received mail.
public struct MailIngestOutcome: Sendable {
    public var mailId: String
    /// The same Message-ID was stored before: nothing was added.
    public var duplicate: Bool
    public var conversation: Conversation?
    /// The message the mail became (nil for a duplicate).
    public var appended: AppendResult?
    public var contact: Contact?
    public var newConversation: Bool
    public var reopened: Bool
    /// The status change recorded when a resolved conversation was reopened.
    public var reopenMessage: Message?

    public init(
        mailId: String, duplicate: Bool, conversation: Conversation? = nil, appended: AppendResult? = nil, contact: Contact? = nil,
        newConversation: Bool = false, reopened: Bool = false, reopenMessage: Message? = nil
    ) {
        self.mailId = mailId
        self.duplicate = duplicate
        self.conversation = conversation
        self.appended = appended
        self.contact = contact
        self.newConversation = newConversation
        self.reopened = reopened
        self.reopenMessage = reopenMessage
    }
}

/// A received mail as stored (for "view original" and the threading of later mail).
public struct MailRecord: Sendable, Equatable, Codable {
    public var id: String
    public var messageId: String
    public var conversationId: ConversationID?
    public var messageRef: MessageID?
    public var rawSha256: String
    public var size: Int64
    public var fromAddress: String?
    public var subject: String
    public var automatic: String?
    public var warnings: [String]
    public var createdAt: Date
}

/// The address a conversation's mail goes out from and comes back to.
public struct EmailThread: Sendable, Equatable {
    public var conversationId: ConversationID
    public var replyToken: String
    public var customerAddress: String
}

public enum OutboxStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case sending
    case sent
    case failed
    /// No relay is configured: kept here for an admin to read (the demo's "mail server").
    case local
    /// Not needed after all (a chat reply the visitor read in the widget before it was due).
    case skipped
}

public enum OutboxKind: String, Sendable, Codable {
    case reply
    /// An agent's chat reply for a visitor who left an email and did not read it in the widget.
    case chatReply = "chat_reply"
    case acknowledgement
    case notification
    /// A satisfaction survey: the five ratings as links.
    case survey
}

/// A mail ready to send: composed once, so every attempt sends the same bytes and Message-ID.
public struct NewOutboxMail: Sendable, Equatable {
    public var kind: OutboxKind
    /// At most one outbox mail per key ("reply:MESSAGE", "ack:CONVERSATION").
    public var dedupKey: String
    public var conversationId: ConversationID?
    public var messageRef: MessageID?
    public var mailFrom: String
    public var recipients: [String]
    public var messageId: String
    public var subject: String
    public var rawSha256: String
    /// Keep locally instead of sending (no relay configured).
    public var local: Bool
    /// Not to be sent before this time (a chat reply waits to see whether it is read in the widget).
    public var notBefore: Date?

    public init(
        kind: OutboxKind, dedupKey: String, conversationId: ConversationID?, messageRef: MessageID?, mailFrom: String, recipients: [String],
        messageId: String, subject: String, rawSha256: String, local: Bool, notBefore: Date? = nil
    ) {
        self.notBefore = notBefore
        self.kind = kind
        self.dedupKey = dedupKey
        self.conversationId = conversationId
        self.messageRef = messageRef
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.messageId = messageId
        self.subject = subject
        self.rawSha256 = rawSha256
        self.local = local
    }
}

/// What composing a queued mail decides: its headers and where its bytes are stored.
public struct ComposedOutboxMail: Sendable, Equatable {
    public var mailFrom: String
    public var recipients: [String]
    public var subject: String
    public var rawSha256: String

    public init(mailFrom: String, recipients: [String], subject: String, rawSha256: String) {
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.subject = subject
        self.rawSha256 = rawSha256
    }
}

public struct OutboxMail: Sendable, Equatable, Codable {
    public var id: String
    public var kind: OutboxKind
    public var conversationId: ConversationID?
    public var messageRef: MessageID?
    public var mailFrom: String
    public var recipients: [String]
    public var messageId: String
    public var subject: String
    public var rawSha256: String
    public var status: OutboxStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?

    /// False while a chat reply waits to be composed at its due time (no bytes yet).
    public var isComposed: Bool { !rawSha256.isEmpty }
}

public protocol MailRepository: Sendable {
    /// Stores a received mail and the message it becomes, in one transaction: the contact with
    /// its sender address (created when new), the conversation `MailThreading` picks (new ones
    /// in `inboxId`, with a reply address), reopening a resolved one when it says so. A
    /// Message-ID seen before is a duplicate and changes nothing.
    func ingestMail(_ mail: InboundMail, inboxId: InboxID, reopenWindow: TimeInterval) async throws -> MailIngestOutcome
    func mails(conversationId: ConversationID) async throws -> [MailRecord]
    func mail(id: String) async throws -> MailRecord?
    /// Message-IDs of every mail in the conversation, received and sent, oldest first.
    func threadMessageIds(conversationId: ConversationID) async throws -> [String]
    /// The conversation's reply address token, created on first use.
    func emailThread(conversationId: ConversationID, customerAddress: String) async throws -> EmailThread
    func inbox(emailAddress: String) async throws -> Inbox?
    /// The inbox that answers `emailAddress`: the one with that address; else the oldest email
    /// inbox without one takes it; else a new email inbox named after it. Instances that ask at
    /// the same moment get the same inbox.
    func supportInbox(emailAddress: String) async throws -> Inbox

    /// Queues a mail; a second mail with the same dedup key returns the first.
    func enqueueMail(_ mail: NewOutboxMail) async throws -> (mail: OutboxMail, created: Bool)
    /// Gives a mail queued without content (a chat reply, composed only once it is due) its
    /// composed bytes and headers; a mail that has content already keeps it (returns false).
    func composeOutboxMail(id: String, _ composed: ComposedOutboxMail) async throws -> Bool
    /// Takes up to `limit` queued mails that are due, leasing them for `lease` seconds so a
    /// crashed sender's mail is taken again after the lease.
    func claimDueMail(now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxMail]
    /// The outcome of a claim. Each takes effect only while the claim is still the mail's latest
    /// (status `sending`, attempts unchanged) and says whether it did: a sender that stalled past
    /// its lease must not overwrite what the instance that took the mail over recorded.
    @discardableResult func markMailSent(_ claim: OutboxMail, at: Date) async throws -> Bool
    @discardableResult func markMailRetry(_ claim: OutboxMail, error: String, nextAttemptAt: Date) async throws -> Bool
    @discardableResult func markMailFailed(_ claim: OutboxMail, error: String) async throws -> Bool
    /// Ends a claimed mail without sending it: `.local` (no relay) or `.skipped` (no longer needed).
    @discardableResult func markMail(_ claim: OutboxMail, status: OutboxStatus) async throws -> Bool
    func outbox(status: OutboxStatus?, limit: Int) async throws -> [OutboxMail]
    func outbox(messageRefs: [MessageID]) async throws -> [MessageID: OutboxMail]
    func outboxMail(id: String) async throws -> OutboxMail?
    /// Agents' replies in email conversations since `since` that have no outbox mail (stored
    /// just before a crash): the sender queues them on start.
    func unsentReplies(since: Date, limit: Int) async throws -> [Message]
}
