import Foundation

/// Telegram's documented sending limits for one bot, as a value the sender consults before
/// each message: about 30 messages a second in all, one a second to a private chat, and 20 a
/// minute to a group or channel. Going over them earns HTTP 429 and a wait, so Kefu keeps
/// under them itself.
public struct TelegramRateLimits: Sendable {
    public static let perBot = (count: 30, window: 1.0)
    public static let perPrivateChat = (count: 1, window: 1.0)
    public static let perGroup = (count: 20, window: 60.0)

    private var bot: [Date] = []
    private var chats: [String: [Date]] = [:]

    public init() {}

    /// Chats with a negative id and `@username` targets are groups, supergroups or channels.
    public static func isGroup(_ chat: String) -> Bool { chat.hasPrefix("-") || chat.hasPrefix("@") }

    /// How long to wait before the next message to `chat` keeps every limit (0: send now).
    public func wait(for chat: String, now: Date) -> TimeInterval {
        let limit = Self.isGroup(chat) ? Self.perGroup : Self.perPrivateChat
        return max(Self.wait(bot, limit: Self.perBot, now: now), Self.wait(chats[chat] ?? [], limit: limit, now: now))
    }

    /// A message went to `chat` at `at`.
    public mutating func record(_ chat: String, at: Date) {
        bot = Self.pruned(bot + [at], window: Self.perBot.window, now: at)
        let limit = Self.isGroup(chat) ? Self.perGroup : Self.perPrivateChat
        chats[chat] = Self.pruned((chats[chat] ?? []) + [at], window: limit.window, now: at)
        // Chats quiet for a minute need no memory; keeps the table as small as the active set.
        if chats.count > 1_000 { chats = chats.filter { !$0.value.isEmpty && at.timeIntervalSince($0.value.last!) < Self.perGroup.window } }
    }

    /// Telegram asked for a pause (429 `retry_after`): nothing goes to any chat before it ends.
    public mutating func pause(until: Date) {
        bot = Array(repeating: until, count: Self.perBot.count)
    }

    static func wait(_ sent: [Date], limit: (count: Int, window: Double), now: Date) -> TimeInterval {
        let recent = sent.filter { now.timeIntervalSince($0) < limit.window }
        guard recent.count >= limit.count else { return 0 }
        // The oldest of the last `count` sends must leave the window.
        let oldest = recent.sorted()[recent.count - limit.count]
        return max(0, limit.window - now.timeIntervalSince(oldest))
    }

    static func pruned(_ sent: [Date], window: Double, now: Date) -> [Date] {
        sent.filter { now.timeIntervalSince($0) < window }
    }
}
