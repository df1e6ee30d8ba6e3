import Foundation

public enum InboxKind: String, Codable, Sendable, CaseIterable {
    case webchat
    case email
    case telegram
    case api
}

/// A channel instance: one widget, one support address, one bot.
public struct Inbox: Sendable, Equatable, Codable {
    public var id: InboxID
    public var name: String
    public var kind: InboxKind
    /// What the widget asks before a chat starts; webchat inboxes only.
    public var prechatForm: PrechatForm?
    /// The address customers write to; email inboxes only.
    public var emailAddress: String?
    /// The bot; Telegram inboxes only.
    public var telegram: TelegramBotProfile?
    /// Where agents' replies go; API-channel inboxes only.
    public var api: APIInboxProfile?
    public var createdAt: Date
    /// Whether resolved conversations get a satisfaction survey.
    public var csatEnabled: Bool = true

    public init(
        id: InboxID, name: String, kind: InboxKind, prechatForm: PrechatForm? = nil, emailAddress: String? = nil,
        telegram: TelegramBotProfile? = nil, api: APIInboxProfile? = nil, createdAt: Date
    ) {
        self.api = api ?? (kind == .api ? APIInboxProfile() : nil)
        self.telegram = telegram
        self.id = id
        self.name = name
        self.kind = kind
        self.prechatForm = prechatForm ?? (kind == .webchat ? .standard : nil)
        self.emailAddress = emailAddress
        self.createdAt = createdAt
    }
}

/// What anyone may know about a Telegram inbox's bot (its token never leaves the store sealed).
public struct TelegramBotProfile: Sendable, Equatable, Codable {
    public var username: String
    /// Official channels announcements are posted to ("@kefu_news", "@kefu_cn=zh-CN").
    public var announceChats: [String]

    public init(username: String, announceChats: [String] = []) {
        self.username = username
        self.announceChats = announceChats
    }

    enum CodingKeys: String, CodingKey { case username, announceChats }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        username = try container.decode(String.self, forKey: .username)
        announceChats = try container.decodeIfPresent([String].self, forKey: .announceChats) ?? []
    }

    /// `{"username"}` exactly, as the API promises, with the channels only once some are set.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(username, forKey: .username)
        if !announceChats.isEmpty { try container.encode(announceChats, forKey: .announceChats) }
    }
}

/// An API-channel inbox's callback: the webhook subscription that carries its events.
public struct APIInboxProfile: Sendable, Equatable, Codable {
    public var callbackUrl: String?
    public var webhookId: String?

    public init(callbackUrl: String? = nil, webhookId: String? = nil) {
        self.callbackUrl = callbackUrl
        self.webhookId = webhookId
    }
}

/// A customer, across every channel they use.
public struct Contact: Sendable, Equatable, Codable {
    public var id: ContactID
    public var name: String?
    public var email: String?
    public var locale: String?
    public var createdAt: Date

    public init(id: ContactID, name: String?, email: String?, locale: String?, createdAt: Date) {
        self.id = id
        self.name = name
        self.email = email
        self.locale = locale
        self.createdAt = createdAt
    }
}

public enum ConversationStatus: String, Codable, Sendable, CaseIterable {
    case open
    case pending
    case snoozed
    case resolved
}

public enum ConversationPriority: String, Codable, Sendable, CaseIterable {
    case none
    case low
    case medium
    case high
    case urgent
}

public struct Conversation: Sendable, Equatable, Codable {
    public var id: ConversationID
    /// The short number customers and agents quote ("#1042"); unique per installation.
    public var number: Int64
    public var inboxId: InboxID
    public var contactId: ContactID
    public var subject: String?
    public var status: ConversationStatus
    public var priority: ConversationPriority
    public var assigneeId: AgentID?
    public var teamId: TeamID?
    public var labels: [String]
    /// The highest message sequence number in this conversation (0 when empty).
    public var lastSeq: Int64
    /// How far the customer has read (seq), for read marks on agents' replies.
    public var contactReadSeq: Int64 = 0
    /// How far an agent has read (seq), for read marks on the customer's messages.
    public var agentReadSeq: Int64 = 0
    public var lastMessageAt: Date?
    public var snoozedUntil: Date?
    public var createdAt: Date
    public var updatedAt: Date
    /// The response target it is on, when one is running or was missed.
    public var sla: ConversationSLA?
    /// The customer's latest satisfaction answer.
    public var csat: SurveyAnswer?
    /// When Kefu first took a recovery phrase or private key out of this customer's messages:
    /// agents see a warning on the conversation and a badge in the inbox.
    public var secretExposedAt: Date?

    public init(
        id: ConversationID, number: Int64, inboxId: InboxID, contactId: ContactID, subject: String?,
        status: ConversationStatus, priority: ConversationPriority, assigneeId: AgentID?, teamId: TeamID?,
        labels: [String], lastSeq: Int64, lastMessageAt: Date?, snoozedUntil: Date?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.number = number
        self.inboxId = inboxId
        self.contactId = contactId
        self.subject = subject
        self.status = status
        self.priority = priority
        self.assigneeId = assigneeId
        self.teamId = teamId
        self.labels = labels
        self.lastSeq = lastSeq
        self.lastMessageAt = lastMessageAt
        self.snoozedUntil = snoozedUntil
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Where a conversation stands against its response targets, for lists: the soonest due
/// target still running, and whether one was missed.
public struct ConversationSLA: Sendable, Equatable, Codable {
    public var dueAt: Date?
    public var breached: Bool

    public init(dueAt: Date?, breached: Bool) {
        self.dueAt = dueAt
        self.breached = breached
    }
}

/// A saved answer an agent inserts by typing `/shortcut` in the reply box.
public struct CannedReply: Sendable, Equatable, Codable {
    public var id: String
    public var shortcut: String
    public var body: String
    public var createdAt: Date

    public init(id: String, shortcut: String, body: String, createdAt: Date) {
        self.id = id
        self.shortcut = shortcut
        self.body = body
        self.createdAt = createdAt
    }

    public static let maxBodyLength = 5_000

    /// Shortcuts are lowercase letters, digits, `-` and `_`, 1–30 characters, typed after a slash.
    public static func normalizeShortcut(_ raw: String) -> String? {
        var value = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if value.hasPrefix("/") { value.removeFirst() }
        guard (1...30).contains(value.count),
            value.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" })
        else { return nil }
        return value
    }
}

/// Labels are short tags chosen by agents; normalised so "Withdrawal " and "withdrawal" are one.
public enum ConversationLabel {
    public static let maxLength = 40

    public static func normalize(_ raw: String) -> String? {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !value.isEmpty, value.count <= maxLength,
            value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else { return nil }
        return value
    }
}
