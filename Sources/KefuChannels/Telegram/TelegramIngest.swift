import Foundation
import KefuConversations
import KefuCore
import KefuLocalization
import KefuStore
import Logging
import Synchronization

/// Turns one Telegram update into what support keeps: a customer's message (files fetched with
/// `getFile` first), an edit beside the original, or the bot's answer to `/start` and `/help`.
/// Polling and the webhook both call it; each `update_id` counts once whichever delivered it.
public struct TelegramIngest: Sendable {
    public typealias Repositories = ChannelOutboxRepository & ChannelThreadRepository & InboxRepository & AgentVerification.Repositories

    let store: any Repositories
    let conversations: ConversationService
    let blobs: any BlobStore
    let catalog: Catalog
    let settings: TelegramSettings
    let wake: @Sendable () -> Void
    /// When customers can expect an answer, told in the bot's `/start`.
    let expectations: (any ReplyExpectations)?
    /// Where survey buttons' ratings go.
    let surveys: (any SurveyAnswers)?
    let logger: Logger
    /// Failed fetches per update: a file Telegram cannot serve now is tried again with the update
    /// (polling re-reads it, the webhook answers 500 so Telegram resends it) a few times, then
    /// recorded as a note, so the customer's words are never held back for good.
    let fetchFailures = FetchFailures()
    static let fetchAttempts = 3

    public init(
        store: any Repositories, conversations: ConversationService, blobs: any BlobStore, catalog: Catalog = .standard,
        settings: TelegramSettings, wake: @escaping @Sendable () -> Void = {}, expectations: (any ReplyExpectations)? = nil,
        surveys: (any SurveyAnswers)? = nil, logger: Logger
    ) {
        self.expectations = expectations
        self.surveys = surveys
        self.store = store
        self.conversations = conversations
        self.blobs = blobs
        self.catalog = catalog
        self.settings = settings
        self.wake = wake
        self.logger = logger
    }

    /// Handles `update` for the bot of `bot`; returns when what it became is stored (so the
    /// caller may acknowledge it to Telegram).
    public func handle(_ update: Telegram.Update, bot: TelegramBotRecord, api: TelegramBotAPI) async throws {
        switch TelegramInbound.classify(update, botUsername: bot.username, botId: bot.botId) {
        case .customerMessage(let message):
            try await receive(message, update: update.updateId, bot: bot, api: api)
        case .edit(let message):
            try await conversations.receiveEdit(
                channelMessageId: Self.channelMessageId(message), text: message.text ?? message.caption ?? "", inboxId: bot.inboxId,
                receiptKey: "update:\(update.updateId)")
        case .command(let command, let message):
            try await answer(command, message: message, update: update.updateId, bot: bot)
        case .buttonPress(let press):
            try await rate(press, update: update.updateId, bot: bot, api: api)
        case .ignored:
            break
        }
    }

    /// "chat:message": Telegram's message ids count per chat.
    static func channelMessageId(_ message: Telegram.Message) -> String { "\(message.chat.id):\(message.messageId)" }

    /// The customer's language among Kefu's: Chinese clients ("zh-hans", "zh-hant") read zh-CN.
    static func locale(_ user: Telegram.User) -> String {
        (user.languageCode ?? "").lowercased().hasPrefix("zh") ? "zh-CN" : "en"
    }

    func receive(_ message: Telegram.Message, update: Int64, bot: TelegramBotRecord, api: TelegramBotAPI) async throws {
        guard let from = message.from else { return }
        // Stored before (a resent webhook, a re-read poll): nothing to fetch or store again.
        if try await store.channelReceipt(inboxId: bot.inboxId, key: "update:\(update)") != nil { return }
        let locale = UILocale(storedTag: Self.locale(from))
        var notes: [String] = []
        var files: [InboundMail.File] = []
        let attempt = "\(bot.inboxId):\(update)"
        for wanted in Self.files(in: message) {
            do {
                files.append(try await fetch(wanted, api: api))
            } catch TelegramError.fileTooLarge(let size) {
                let megabytes = String(format: "%.1f", Double(size) / 1_048_576)
                notes.append(catalog.text(.telegramFileTooLarge, locale, ["size": megabytes]))
            } catch let error as TelegramError where !error.isPermanent && fetchFailures.count(attempt) < Self.fetchAttempts - 1 {
                fetchFailures.add(attempt)
                logger.warning("a Telegram file could not be fetched; the update will be tried again", metadata: ["inbox": "\(bot.inboxId)", "error": "\(error)"])
                throw error
            } catch {
                logger.warning("a Telegram file could not be fetched", metadata: ["inbox": "\(bot.inboxId)", "error": "\(error)"])
                notes.append(catalog.text(.telegramFileUnavailable, locale))
            }
        }
        fetchFailures.clear(attempt)
        var text = message.text ?? message.caption ?? ""
        if !notes.isEmpty { text = ([text] + notes).filter { !$0.isEmpty }.joined(separator: "\n") }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && files.isEmpty {
            text = catalog.text(.telegramUnsupported, locale)
        }
        let name = [from.firstName, from.lastName ?? ""].joined(separator: " ").trimmingCharacters(in: .whitespaces)
        let isGroup = message.chat.type != .private
        let inbound = InboundMessage(
            sender: .init(identity: "telegram:\(from.id)", name: name.isEmpty ? from.username : name, locale: Self.locale(from)),
            threadKey: "chat:\(message.chat.id)", replyTo: isGroup ? "\(message.messageId)" : nil, receiptKey: "update:\(update)",
            text: text, files: files, channelMessageId: Self.channelMessageId(message),
            subject: Self.subject(text: message.text ?? message.caption ?? "", group: isGroup ? message.chat.title : nil))
        _ = try await conversations.receive(inbound, inboxId: bot.inboxId, reopenWindow: settings.reopenWindow)
    }

    /// What the inbox list shows for a new conversation: the first line the customer wrote (and
    /// the group it came from), since chats have no subject of their own.
    static func subject(text: String, group: String?) -> String? {
        let line = text.split(whereSeparator: \.isNewline).first.map { String($0.prefix(80)) } ?? ""
        guard let group else { return line.isEmpty ? nil : line }
        return line.isEmpty ? group : "\(group): \(line)"
    }

    /// A file the message carries, as Telegram describes it.
    struct WantedFile: Equatable {
        var fileId: String
        var size: Int64?
        var filename: String?
        var mimeType: String?
    }

    /// The largest photo size, or the document, voice, video or sticker.
    static func files(in message: Telegram.Message) -> [WantedFile] {
        var wanted: [WantedFile] = []
        if let photo = message.photo?.max(by: { ($0.width * $0.height) < ($1.width * $1.height) }) {
            wanted.append(WantedFile(fileId: photo.fileId, size: photo.fileSize, filename: "photo.jpg", mimeType: "image/jpeg"))
        }
        if let document = message.document {
            wanted.append(WantedFile(fileId: document.fileId, size: document.fileSize, filename: document.fileName, mimeType: document.mimeType))
        }
        if let voice = message.voice {
            wanted.append(WantedFile(fileId: voice.fileId, size: voice.fileSize, filename: "voice.ogg", mimeType: voice.mimeType ?? "audio/ogg"))
        }
        if let video = message.video {
            wanted.append(WantedFile(fileId: video.fileId, size: video.fileSize, filename: video.fileName ?? "video.mp4", mimeType: video.mimeType))
        }
        if let sticker = message.sticker {
            wanted.append(WantedFile(fileId: sticker.fileId, size: sticker.fileSize, filename: "sticker.webp", mimeType: "image/webp"))
        }
        return wanted
    }

    /// Downloads a file into the blob store. Its type is what its bytes are (images and PDFs are
    /// recognised); anything else is kept as a download, never shown inline.
    func fetch(_ wanted: WantedFile, api: TelegramBotAPI) async throws -> InboundMail.File {
        if let size = wanted.size, size > TelegramBotAPI.maxFileBytes { throw TelegramError.fileTooLarge(size) }
        let file = try await api.getFile(wanted.fileId)
        let data = try await api.download(file)
        let sniffed = AttachmentPolicy.sniff(data)
        let sha = try await blobs.put(data)
        return InboundMail.File(
            sha256: sha, size: Int64(data.count), contentType: sniffed ?? "application/octet-stream",
            filename: AttachmentPolicy.safeMailFilename(wanted.filename ?? "file", sniffedType: sniffed))
    }

    /// `/start`, `/help` and `/verify CODE`: the bot answers in the user's language, through the
    /// outbox (once per update, and kept when Telegram is down).
    func answer(_ command: String, message: Telegram.Message, update: Int64, bot: TelegramBotRecord) async throws {
        let locale = UILocale(storedTag: message.from.map(Self.locale) ?? "en")
        if command == "verify" {
            return try await enqueueNotice(try await verify(message, locale: locale), to: message, update: update, bot: bot)
        }
        // The greeting repeats the first name: never one that holds a secret (it would sit in
        // the outbox and the delivery log).
        let firstName = message.from?.firstName ?? ""
        let greeted = conversations.secrets.redact(firstName).kinds.isEmpty ? firstName : ""
        var values = ["name": greeted, "bot": "@\(bot.username)"]
        var promise: String?
        if let expectations, let inbox = try await store.inbox(id: bot.inboxId) { promise = await expectations.expectedReply(for: inbox, locale: locale, at: Date()) }
        values["expected"] = promise ?? catalog.text(.telegramExpectedDefault, locale)
        let text = catalog.text(command == "start" ? .telegramStart : .telegramHelp, locale, values)
        try await enqueueNotice(text, to: message, update: update, bot: bot)
    }

    func enqueueNotice(_ text: String, to message: Telegram.Message, update: Int64, bot: TelegramBotRecord) async throws {
        _ = try await store.enqueueDelivery(
            NewChannelDelivery(
                kind: .notice, inboxId: bot.inboxId, dedupKey: "notice:\(bot.inboxId):\(update)", target: "\(message.chat.id)",
                payload: ChannelPayload(text: text)))
        wake()
    }

    /// `/verify ABCD-EFGH`: whether the code belongs to an agent talking to this Telegram user
    /// (in any of their conversations, on any channel that knows them as this user).
    func verify(_ message: Telegram.Message, locale: UILocale) async throws -> String {
        let argument = (message.text ?? "").split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        guard AgentCode.normalized(argument) != nil else { return catalog.text(.telegramVerifyUsage, locale) }
        guard let from = message.from, let contact = try await store.contact(identity: "telegram:\(from.id)") else {
            return catalog.text(.telegramVerifyNo, locale)
        }
        switch try await AgentVerification(store: store).check(code: argument, contact: contact.id) {
        case .genuine(let agent, let number): return catalog.text(.telegramVerifyYes, locale, ["agent": agent, "number": String(number)])
        case .notGenuine: return catalog.text(.telegramVerifyNo, locale)
        }
    }
}

/// Failed file fetches per update, for the few retries before a note stands in for the file.
final class FetchFailures: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func count(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }

    func add(_ key: String) {
        counts.withLock { table in
            // A bounded table: forgotten entries only cost a retry more.
            if table.count > 10_000 { table.removeAll() }
            table[key, default: 0] += 1
        }
    }

    func clear(_ key: String) { counts.withLock { _ = $0.removeValue(forKey: key) } }
}
