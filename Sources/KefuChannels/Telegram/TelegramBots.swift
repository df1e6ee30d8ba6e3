import AsyncHTTPClient
import Foundation
import KefuAccounts
import KefuCore
import KefuStore

/// Why a Telegram inbox could not be set up.
public enum TelegramChannelError: Error, Equatable, Sendable {
    /// Not the shape of a bot token ("123456:ABC…").
    case tokenMalformed
    /// Telegram does not know the token (`getMe` refused it).
    case tokenRefused
    /// Telegram could not be asked (down, unreachable, timed out).
    case telegramUnavailable
    /// Another inbox already has this bot.
    case botTaken
}

/// The Telegram inboxes' bots: adding one (checked with `getMe`, its token sealed at rest), and
/// a Bot API client for each, opened from the store when needed. Tokens never leave this type
/// in clear except inside the client that calls Telegram.
public struct TelegramBots: Sendable {
    public typealias Repositories = TelegramBotRepository & InboxRepository

    let store: any Repositories
    let box: SecretBox
    public let settings: TelegramSettings
    let client: HTTPClient

    public init(store: any Repositories, secretKey: Data, settings: TelegramSettings, client: HTTPClient = TelegramBotAPI.client) {
        self.store = store
        self.box = SecretBox(secretKey: secretKey, purpose: "telegram-bot")
        self.settings = settings
        self.client = client
    }

    /// "123456789:AA…": digits, a colon, then 30 or more URL-safe characters.
    public static func isWellFormed(_ token: String) -> Bool {
        let parts = token.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, (1...20).contains(parts[0].count), parts[0].allSatisfy(\.isASCII), parts[0].allSatisfy(\.isNumber) else { return false }
        return (30...100).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// Adds a Telegram inbox for the bot `token` belongs to, once Telegram confirms the bot.
    public func create(name: String, token rawToken: String, source: ActionSource) async throws -> Inbox {
        let token = rawToken.trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.isWellFormed(token) else { throw TelegramChannelError.tokenMalformed }
        let me: Telegram.User
        do {
            me = try await api(token: token).getMe()
        } catch TelegramError.refused {
            throw TelegramChannelError.tokenRefused
        } catch {
            throw TelegramChannelError.telegramUnavailable
        }
        // Telegram usernames are 5–32 letters, digits and underscores; anything else is not Telegram.
        guard me.isBot, let username = me.username, (5...32).contains(username.count),
            username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else { throw TelegramChannelError.tokenRefused }
        let record = TelegramBotRecord(
            inboxId: InboxID(rawValue: ""), botId: me.id, username: username, tokenSealed: try box.seal(token),
            webhookSecretSealed: try box.seal(RandomToken.make(bytes: 32)))
        do {
            // The audit names the bot, never the token.
            return try await store.createTelegramInbox(
                name: name, bot: record,
                audit: source.audit("inbox.created", subjectKind: "inbox", detail: ["name": name, "kind": "telegram", "bot": "@\(username)"]))
        } catch StoreError.conflict {
            throw TelegramChannelError.botTaken
        }
    }

    /// Where this inbox's bot posts announcements; `nil` when the inbox has no bot.
    public func setAnnounceChats(_ chats: [String], of inboxId: InboxID, source: ActionSource) async throws {
        try await store.setTelegramAnnounceChats(
            inboxId: inboxId, chats: chats,
            audit: source.audit("inbox.updated", subjectKind: "inbox", subjectId: inboxId.rawValue, detail: ["announceChats": chats.joined(separator: ",")]))
    }

    /// A client for the bot of `record`.
    public func api(for record: TelegramBotRecord) throws -> TelegramBotAPI {
        try api(token: box.open(record.tokenSealed))
    }

    /// The secret Telegram sends with every webhook call of this bot.
    public func webhookSecret(for record: TelegramBotRecord) throws -> String {
        try box.open(record.webhookSecretSealed)
    }

    func api(token: String) -> TelegramBotAPI {
        TelegramBotAPI(base: settings.apiBase, token: token, client: client)
    }
}
