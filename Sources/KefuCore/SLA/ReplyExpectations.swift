import Foundation

/// What customers are told about when to expect an answer in an inbox (the widget, the mail
/// acknowledgement, the Telegram bot's `/start`), from the same policy that measures agents.
public protocol ReplyExpectations: Sendable {
    /// One sentence in `locale`; nil when no first-response target covers the inbox.
    func expectedReply(for inbox: Inbox, locale: UILocale, at instant: Date) async -> String?
}
