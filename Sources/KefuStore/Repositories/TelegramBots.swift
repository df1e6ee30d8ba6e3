import Foundation
import KefuCore

/// A Telegram inbox's bot as stored: the token and webhook secret sealed with the secret key.
public struct TelegramBotRecord: Sendable, Equatable {
    public var inboxId: InboxID
    public var botId: Int64
    public var username: String
    public var tokenSealed: String
    public var webhookSecretSealed: String
    /// The next `getUpdates` offset: every update below it has been handled.
    public var updateOffset: Int64
    /// How updates arrived last ("webhook" or "polling"); nil before the first start.
    public var mode: String?
    /// Official channels announcements are posted to ("@kefu_news").
    public var announceChats: [String]

    public init(
        inboxId: InboxID, botId: Int64, username: String, tokenSealed: String, webhookSecretSealed: String, updateOffset: Int64 = 0,
        mode: String? = nil, announceChats: [String] = []
    ) {
        self.inboxId = inboxId
        self.botId = botId
        self.username = username
        self.tokenSealed = tokenSealed
        self.webhookSecretSealed = webhookSecretSealed
        self.updateOffset = updateOffset
        self.mode = mode
        self.announceChats = announceChats
    }
}

public protocol TelegramBotRepository: Sendable {
    /// Creates the inbox and its bot in one transaction; `StoreError.conflict` when another
    /// inbox already has this bot.
    func createTelegramInbox(name: String, bot: TelegramBotRecord, audit: AuditEvent?) async throws -> Inbox
    func telegramBot(inboxId: InboxID) async throws -> TelegramBotRecord?
    func telegramBots() async throws -> [TelegramBotRecord]
    /// Moves the stored offset forward (never back: a slower poller cannot undo a faster one).
    func advanceTelegramOffset(inboxId: InboxID, to offset: Int64) async throws
    /// Records how updates arrive now and returns how they arrived before.
    func setTelegramMode(inboxId: InboxID, mode: String) async throws -> String?
    func setTelegramAnnounceChats(inboxId: InboxID, chats: [String], audit: AuditEvent?) async throws
}
