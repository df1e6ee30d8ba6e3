import Foundation

/// A customer's message from a channel without email threading (Telegram, the API channel), as
/// the store keeps it: the channel has already decided who wrote, in which chat, and fetched any
/// files into the blob store.
public struct InboundMessage: Sendable, Equatable {
    /// Who wrote, as the channel knows them.
    public struct Sender: Sendable, Equatable {
        /// The customer's identity on the channel ("telegram:12345", "api:INBOX:user-42"): the
        /// same identity is the same contact.
        public var identity: String
        public var name: String?
        public var email: String?
        /// The customer's language as the channel reports it ("zh-CN", "en").
        public var locale: String?
        /// The wallet account the channel vouches this person holds (the API channel): its
        /// contact is this person's contact, so the account shows beside the conversation.
        public var accountId: AccountID?

        public init(identity: String, name: String? = nil, email: String? = nil, locale: String? = nil, accountId: AccountID? = nil) {
            self.identity = identity
            self.name = name
            self.email = email
            self.locale = locale
            self.accountId = accountId
        }
    }

    public var sender: Sender
    /// The place on the channel the conversation lives ("chat:-1001234" for a group): a
    /// customer has at most one open conversation per inbox and thread.
    public var threadKey: String
    /// What an agent's reply should answer on the channel (the customer's message in a group).
    public var replyTo: String?
    /// The inbound update's own id, stored once per inbox ("update:991", "client:abc").
    public var receiptKey: String
    public var text: String
    public var files: [InboundMail.File]
    /// The channel's id for the message ("-1001234:77"), so a later edit finds it.
    public var channelMessageId: String?
    /// A new conversation's subject, if the channel has one.
    public var subject: String?
    /// The conversation the channel names (the API channel's "…/conversations/{id}/messages"):
    /// the message goes there (reopening it when resolved) instead of by thread.
    public var conversationId: ConversationID?
    /// Files the channel uploaded beforehand (the API channel), claimed for this message; they
    /// must be `uploader`'s and not yet on a message.
    public var uploads: [AttachmentID] = []
    public var uploader: Author?

    public init(
        sender: Sender, threadKey: String, replyTo: String? = nil, receiptKey: String, text: String, files: [InboundMail.File] = [],
        channelMessageId: String? = nil, subject: String? = nil, conversationId: ConversationID? = nil
    ) {
        self.conversationId = conversationId
        self.sender = sender
        self.threadKey = threadKey
        self.replyTo = replyTo
        self.receiptKey = receiptKey
        self.text = text
        self.files = files
        self.channelMessageId = channelMessageId
        self.subject = subject
    }

    /// Longer text is cut (with "…") rather than refused: the customer cannot be asked again.
    public static let maxTextLength = NewMessage.maxTextLength
}

/// Where a new inbound message goes: the customer's open conversation in this thread, the last
/// one reopened when it was resolved within the reopen window, or a new one.
public enum ChannelThreading {
    public enum Decision: Sendable, Equatable {
        case append(ConversationID, reopen: Bool)
        case newConversation
    }

    public static func decide(latest: MailThreading.Candidate?, now: Date, reopenWindow: TimeInterval) -> Decision {
        guard let latest else { return .newConversation }
        guard latest.status == .resolved else { return .append(latest.conversationId, reopen: false) }
        return now.timeIntervalSince(latest.lastActivityAt) <= reopenWindow ? .append(latest.conversationId, reopen: true) : .newConversation
    }
}

extension String {
    /// The text as it can be stored: NUL (which PostgreSQL text refuses and which ends SQLite's
    /// C strings) kept as U+FFFD.
    public var storable: String { contains("\u{0}") ? replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : self }
}
