import Foundation

/// How the Telegram channel reaches the Bot API and how updates reach Kefu.
public struct TelegramSettings: Sendable {
    /// Telegram's public Bot API.
    public static let officialAPI = "https://api.telegram.org"

    /// The Bot API server (`KEFU_TELEGRAM_API_URL`): Kefu calls `{apiBase}/bot{token}/{method}`.
    public var apiBase: String
    /// Kefu's public address (`KEFU_PUBLIC_URL`): when it is https, Telegram pushes updates to a
    /// webhook under it; otherwise Kefu polls.
    public var publicURL: String
    /// A resolved chat is reopened by a new message within this time; later, a new one starts.
    public var reopenWindow: TimeInterval
    /// How long one `getUpdates` call waits on Telegram's side for something to happen.
    public var pollWait: Int
    /// How often the channel looks for bots added since it started.
    public var refreshInterval: Duration

    public init(
        apiBase: String = Self.officialAPI, publicURL: String, reopenWindow: TimeInterval = 14 * 86400, pollWait: Int = 25,
        refreshInterval: Duration = .seconds(2)
    ) {
        self.apiBase = apiBase
        self.publicURL = publicURL
        self.reopenWindow = reopenWindow
        self.pollWait = pollWait
        self.refreshInterval = refreshInterval
    }

    /// Updates by webhook: Telegram only calls https URLs.
    public var usesWebhook: Bool { publicURL.lowercased().hasPrefix("https://") }

    /// Where Telegram posts one inbox's updates.
    public func webhookURL(inbox: String) -> String {
        (publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL) + "/telegram/webhook/\(inbox)"
    }

    /// The updates Kefu reads; everything else Telegram keeps to itself.
    public static let allowedUpdates = ["message", "edited_message", "callback_query"]
}
