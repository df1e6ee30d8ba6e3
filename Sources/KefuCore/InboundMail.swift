import Foundation

/// A received mail as the store keeps it: already parsed (KefuMail), its raw bytes and files
/// already in the blob store.
public struct InboundMail: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public var sha256: String
        public var size: Int64
        /// Sniffed from the bytes: an image or PDF type, else application/octet-stream.
        public var contentType: String
        public var filename: String

        public init(sha256: String, size: Int64, contentType: String, filename: String) {
            self.sha256 = sha256
            self.size = size
            self.contentType = contentType
            self.filename = filename
        }
    }

    /// Without angle brackets. A mail without one gets `<raw sha256>@kefu.invalid`, so a
    /// redelivery of the same bytes is still recognised.
    public var messageId: String
    /// In-Reply-To then References, nearest first.
    public var threadIds: [String]
    /// Tokens from per-conversation reply addresses it was sent to (`support+c-TOKEN@…`).
    public var replyTokens: [String]
    /// "[#1042]" in the subject: only trusted together with the same sender.
    public var conversationNumber: Int64?
    /// Normalised; nil when the From header could not be read.
    public var fromAddress: String?
    public var fromName: String?
    /// Where answers go (Reply-To, else From), normalised.
    public var replyAddress: String?
    public var subject: String
    public var text: String
    public var files: [File]
    /// Why this mail must not be answered automatically (auto-reply, bounce, list), if so.
    public var automatic: String?
    public var warnings: [String]
    public var rawSha256: String
    public var size: Int64
    public var envelopeFrom: String?
    public var envelopeTo: [String]
    /// The customer's language guessed from the mail (zh-CN when it is mostly Chinese).
    public var locale: String
    /// Secrets the channel already took out where the service does not look (the parts of the
    /// mail it does not show, text files, forwarded mails): they count as found all the same.
    public var secretsTakenOut: Set<SecretKind> = []

    public init(
        messageId: String, threadIds: [String] = [], replyTokens: [String] = [], conversationNumber: Int64? = nil, fromAddress: String?,
        fromName: String? = nil, replyAddress: String? = nil, subject: String, text: String, files: [File] = [], automatic: String? = nil, warnings: [String] = [],
        rawSha256: String, size: Int64, envelopeFrom: String? = nil, envelopeTo: [String] = [], locale: String = "en"
    ) {
        self.messageId = messageId
        self.threadIds = threadIds
        self.replyTokens = replyTokens
        self.conversationNumber = conversationNumber
        self.fromAddress = fromAddress
        self.fromName = fromName
        self.replyAddress = replyAddress ?? fromAddress
        self.subject = subject
        self.text = text
        self.files = files
        self.automatic = automatic
        self.warnings = warnings
        self.rawSha256 = rawSha256
        self.size = size
        self.envelopeFrom = envelopeFrom
        self.envelopeTo = envelopeTo
        self.locale = locale
    }

    /// Mail text beyond this is cut (the raw mail keeps everything).
    public static let maxTextLength = 100_000

    /// "[#1042]", built once (a regex literal is compiled at each evaluation; this runs per mail).
    nonisolated(unsafe) static let numberTag = /\[#(\d{1,12})\]/

    /// "[#1042]" anywhere in a subject.
    public static func conversationNumber(inSubject subject: String) -> Int64? {
        guard let match = subject.firstMatch(of: numberTag) else { return nil }
        return Int64(match.output.1)
    }
}

/// Which conversation a received mail belongs to. Pure: the store looks the candidates up and
/// applies the decision in the same transaction.
public enum MailThreading {
    /// What the store found for a mail.
    public struct Candidate: Sendable, Equatable {
        public var conversationId: ConversationID
        public var contactId: ContactID
        public var status: ConversationStatus
        public var lastActivityAt: Date

        public init(conversationId: ConversationID, contactId: ContactID, status: ConversationStatus, lastActivityAt: Date) {
            self.conversationId = conversationId
            self.contactId = contactId
            self.status = status
            self.lastActivityAt = lastActivityAt
        }
    }

    public enum Decision: Sendable, Equatable {
        case append(ConversationID, reopen: Bool)
        case newConversation
    }

    /// In order: a conversation a referenced mail belongs to (any sender: a colleague in Cc
    /// replying is part of the thread), then the reply address's token, then "[#number]" in the
    /// subject only when the sender is that conversation's customer (never by subject alone
    /// across senders). A resolved conversation is reopened when its customer writes within
    /// `reopenWindow` of its last activity; after that, or when someone else writes, the mail
    /// starts a new conversation.
    public static func decide(
        byReference: Candidate?, byToken: Candidate?, byNumber: Candidate?, sender: ContactID?, now: Date, reopenWindow: TimeInterval
    ) -> Decision {
        let numbered = byNumber.flatMap { $0.contactId == sender ? $0 : nil }
        guard let found = byReference ?? byToken ?? numbered else { return .newConversation }
        guard found.status == .resolved else { return .append(found.conversationId, reopen: false) }
        if found.contactId == sender && now.timeIntervalSince(found.lastActivityAt) <= reopenWindow {
            return .append(found.conversationId, reopen: true)
        }
        return .newConversation
    }

    /// zh-CN when a good part of the letters are CJK, else en.
    public static func guessLocale(_ text: String) -> String {
        var cjk = 0
        var letters = 0
        for scalar in text.unicodeScalars.prefix(2000) where scalar.properties.isAlphabetic {
            letters += 1
            if (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value) { cjk += 1 }
        }
        return letters > 0 && cjk * 5 >= letters ? "zh-CN" : "en"
    }
}
