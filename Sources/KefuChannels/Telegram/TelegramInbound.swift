import Foundation

/// What a Telegram message is to support, decided from the update alone: private chats are the
/// customer talking to support; in groups only a message that mentions the bot or replies to
/// it is, and everything else there is the group's own conversation, ignored.
public enum TelegramInbound: Equatable, Sendable {
    /// A customer's message: the sender, the text (or caption) and the files to fetch.
    case customerMessage(Telegram.Message)
    /// An edit of a message support already has.
    case edit(Telegram.Message)
    /// `/start` or `/help` in a private chat: answered by the bot, no conversation.
    case command(String, Telegram.Message)
    /// A press on a button under one of the bot's messages.
    case buttonPress(Telegram.CallbackQuery)
    /// Not for support (group chatter, other bots, channel posts, service messages).
    case ignored

    public static func classify(_ update: Telegram.Update, botUsername: String, botId: Int64) -> TelegramInbound {
        if let press = update.callbackQuery { return press.from.isBot ? .ignored : .buttonPress(press) }
        if let edited = update.editedMessage {
            return isForSupport(edited, botUsername: botUsername, botId: botId) ? .edit(edited) : .ignored
        }
        guard let message = update.message, isForSupport(message, botUsername: botUsername, botId: botId) else { return .ignored }
        if message.chat.type == .private, let command = command(in: message, botUsername: botUsername), ["start", "help", "verify"].contains(command) {
            return .command(command, message)
        }
        return .customerMessage(message)
    }

    static func isForSupport(_ message: Telegram.Message, botUsername: String, botId: Int64) -> Bool {
        guard let sender = message.from, !sender.isBot else { return false }
        switch message.chat.type {
        case .private:
            return true
        case .group, .supergroup:
            return message.replyToMessage?.from?.id == botId || mentions(message, botUsername: botUsername)
        case .channel:
            return false
        }
    }

    /// "@kefu_bot" among the message's mention entities (case as Telegram usernames: insensitive).
    static func mentions(_ message: Telegram.Message, botUsername: String) -> Bool {
        let handle = "@" + botUsername.lowercased()
        return entityTexts(message, type: "mention").contains { $0.lowercased() == handle }
            || entityTexts(message, type: "bot_command").contains { $0.lowercased().hasSuffix(handle) }
    }

    /// The command a message starts with ("/start" or "/start@kefu_bot" → "start").
    static func command(in message: Telegram.Message, botUsername: String) -> String? {
        guard let first = message.entities?.first(where: { $0.type == "bot_command" && $0.offset == 0 }),
            let text = entityTexts(message, of: [first]).first
        else { return nil }
        let parts = text.dropFirst().split(separator: "@", maxSplits: 1)
        if parts.count == 2, parts[1].lowercased() != botUsername.lowercased() { return nil }
        return parts.first.map { $0.lowercased() }
    }

    static func entityTexts(_ message: Telegram.Message, type: String) -> [String] {
        let text = (message.entities ?? []).filter { $0.type == type }
        let caption = (message.captionEntities ?? []).filter { $0.type == type }
        return entityTexts(message, of: text) + entityTexts(message, of: caption, inCaption: true)
    }

    /// Entity offsets count UTF-16 code units, as Telegram documents.
    static func entityTexts(_ message: Telegram.Message, of entities: [Telegram.MessageEntity], inCaption: Bool = false) -> [String] {
        guard let source = inCaption ? message.caption : message.text else { return [] }
        let units = Array(source.utf16)
        return entities.compactMap { entity in
            // Offsets come from the wire: checked without adding them (Int.max + 1 must not trap).
            guard entity.offset >= 0, entity.length > 0, entity.offset <= units.count, entity.length <= units.count - entity.offset else { return nil }
            return String(decoding: units[entity.offset..<(entity.offset + entity.length)], as: UTF16.self)
        }
    }
}
