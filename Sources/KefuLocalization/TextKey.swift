import Foundation
import KefuCore

/// A key of the catalog that Swift code asks for. Code names texts only through these members
/// (fixed keys, and families built from domain values such as a decision code), so
/// `TextKey.all` lists every key code can ask for and the catalog test proves each exists in
/// every language, with the placeholders code fills in.
public struct TextKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    // MARK: Mails

    public static func mailSubject(_ mail: NoticeMail) -> TextKey { TextKey("mail_\(mail.rawValue)_subject") }
    public static func mailBody(_ mail: NoticeMail) -> TextKey { TextKey("mail_\(mail.rawValue)_body") }
    public static let mailWarning = TextKey("mail_warning")
    public static let mailAntiPhishingLine = TextKey("mail_anti_phishing_line")
    public static let mailAcknowledgementSubjectPrefix = TextKey("mail_ack_subject_prefix")
    public static let mailAcknowledgementBody = TextKey("mail_ack_body")
    public static let mailCodeSubject = TextKey("mail_code_subject")
    public static let mailCodeBody = TextKey("mail_code_body")
    public static let mailChatReplySubject = TextKey("mail_chat_reply_subject")
    public static let mailChatReplyBody = TextKey("mail_chat_reply_body")
    /// The acknowledgement's promise when no response-target policy covers the inbox.
    public static let mailExpectedHours = TextKey("mail_expected_hours")

    // MARK: Decisions and limits

    public static func movement(_ kind: MovementKind) -> TextKey { TextKey("decision_kind_\(kind.rawValue)") }
    public static func movements(_ kind: MovementKind) -> TextKey { TextKey("decision_kinds_\(kind.rawValue)") }
    public static func movementsTitle(_ kind: MovementKind) -> TextKey { TextKey("decision_kinds_title_\(kind.rawValue)") }
    public static func window(_ window: LimitWindow) -> TextKey { TextKey("decision_window_\(window.rawValue)") }
    public static let money = TextKey("decision_money")
    public static let decisionRetry = TextKey("decision_retry")
    public static let decisionHoldTail = TextKey("decision_hold_tail")
    public static let decisionUsage = TextKey("decision_usage")

    /// The explanation of a decision; both window caps share one text.
    public static func decision(_ code: DecisionCode) -> TextKey {
        switch code {
        case .over24h, .over30d: TextKey("decision_over_window")
        case .overPerTransaction: TextKey("decision_over_per_transaction")
        default: TextKey("decision_\(code.rawValue)")
        }
    }

    public static let limitsTier = TextKey("limits_tier")
    public static let limitsKindDisabled = TextKey("limits_kind_disabled")
    public static let limitsKindRow = TextKey("limits_kind_row")
    public static let limitsDayFrees = TextKey("limits_day_frees")
    public static let limitsLocked = TextKey("limits_locked")
    public static let limitsHolds = TextKey("limits_holds")
    public static let holdReleasedInChat = TextKey("hold_released_chat")
    public static let holdRejectedInChat = TextKey("hold_rejected_chat")

    // MARK: Telegram

    /// The bot's answer to `/start` and `/help`: how support works, when to expect an answer,
    /// and the official-channel warning.
    public static let telegramStart = TextKey("telegram_start")
    public static let telegramHelp = TextKey("telegram_help")
    /// `/start`'s promise when no response-target policy covers the bot's inbox.
    public static let telegramExpectedDefault = TextKey("telegram_expected_default")
    /// The note kept in the history for a file too large to fetch.
    public static let telegramFileTooLarge = TextKey("telegram_file_too_large")
    /// The note kept for a file that could not be fetched at all.
    public static let telegramFileUnavailable = TextKey("telegram_file_unavailable")
    /// What stands in for a message Kefu cannot show (a location, a poll).
    public static let telegramUnsupported = TextKey("telegram_unsupported")

    // MARK: Response targets

    public static func slaMetric(_ metric: SLAMetric) -> TextKey { TextKey("sla_metric_\(metric.rawValue)") }
    /// A supervisor's mail about a target about to be missed ("warning") or missed ("breach").
    public static func slaNotificationSubject(_ kind: String) -> TextKey { TextKey("sla_mail_\(kind)_subject") }
    public static func slaNotificationBody(_ kind: String) -> TextKey { TextKey("sla_mail_\(kind)_body") }
    /// What customers are told about when to expect an answer.
    public static let slaExpectWithin = TextKey("sla_expect_within")
    public static let slaExpectClosed = TextKey("sla_expect_closed")
    public static let durationMinutes = TextKey("duration_minutes")
    public static let durationHours = TextKey("duration_hours")
    public static let durationDays = TextKey("duration_days")
    public static let durationHoursMinutes = TextKey("duration_hours_minutes")

    // MARK: Satisfaction surveys

    public static let csatTelegramQuestion = TextKey("csat_telegram_question")
    public static let csatTelegramThanks = TextKey("csat_telegram_thanks")
    public static let csatMailSubject = TextKey("csat_mail_subject")
    public static let csatMailBody = TextKey("csat_mail_body")
    /// The words of a rating, 1 ("very bad") to 5 ("very good").
    public static func csatRating(_ rating: Int) -> TextKey { TextKey("csat_rating_\(rating)") }

    // MARK: Feedback board

    public static func feedbackStatus(_ status: FeedbackStatus) -> TextKey { TextKey("feedback_status_\(status.rawValue)") }
    public static let feedbackStatusMailSubject = TextKey("feedback_mail_subject")
    public static let feedbackStatusMailBody = TextKey("feedback_mail_body")

    // MARK: Trust and safety

    /// What the customer is told at once when a secret was taken out of their message.
    public static func secretWarning(_ kind: SecretKind) -> TextKey { TextKey("secret_warning_\(kind.rawValue)") }
    /// The marker as the customer reads it, in their language.
    public static func secretMarker(_ kind: SecretKind) -> TextKey { TextKey("secret_marker_\(kind.rawValue)") }
    /// An agent's verification code and where to check it: `{code}`, `{url}`.
    public static let agentCodeLine = TextKey("agent_code_line")
    /// The official bot's `/verify CODE` answers: `{agent}`, `{number}`.
    public static let telegramVerifyYes = TextKey("telegram_verify_yes")
    public static let telegramVerifyNo = TextKey("telegram_verify_no")
    public static let telegramVerifyUsage = TextKey("telegram_verify_usage")

    // MARK: Problems and error pages

    /// The message of a problem by its stable code ("invalid_credentials").
    public static func problem(_ code: String) -> TextKey { TextKey("problem_\(code)") }
    /// A rule a field broke, in words ("password_too_short").
    public static func problemRule(_ code: String) -> TextKey { TextKey("problem_rule_\(code)") }
    /// The thing a not-found or conflict names ("conversation").
    public static func problemThing(_ thing: String) -> TextKey { TextKey("problem_thing_\(thing)") }
    public static let problemThingOther = TextKey("problem_thing_other")
    public static let problemFieldWithRules = TextKey("problem_field_with_rules")
    public static let problemRulesSeparator = TextKey("problem_rules_separator")
    public static let errorPageBackCustomer = TextKey("error_page_back_customer")
    public static let errorPageBackHelp = TextKey("error_page_back_help")
    public static let errorPageBackAgent = TextKey("error_page_back_agent")

    /// Rules that have words in problem messages.
    public static let wordedRules = CustomerPasswordPolicy.Rule.allCases.map(\.rawValue) + [
        "invalid_characters", "private_address", "unrenderable", "renderer_busy", "out_of_range", "unknown_time_zone", "too_many", "not_found",
        "not_a_calendar", "too_large", "too_many_days", "malformed", "before_from", "range_too_long",
    ]
    /// Things problem messages name in the reader's own words.
    public static let namedThings = ["conversation", "inbox", "agent", "attachment", "file", "two_factor", "two_factor_reset", "telegram_bot", "webhook", "delivery", "announcement", "article", "version", "category", "slug", "official_channel", "policy", "calendar", "survey", "post", "comment", "follow_up"]

    /// Every key code can ask for, problems aside (their codes belong to the web's `APIError`,
    /// whose test checks each one).
    public static var all: [TextKey] {
        var keys: [TextKey] = [
            mailWarning, mailAntiPhishingLine, mailAcknowledgementSubjectPrefix, mailAcknowledgementBody, mailCodeSubject, mailCodeBody,
            mailChatReplySubject, mailChatReplyBody, money, decisionRetry, decisionHoldTail, decisionUsage, limitsTier, limitsKindDisabled,
            limitsKindRow, limitsDayFrees, limitsLocked, limitsHolds, holdReleasedInChat, holdRejectedInChat, problemThingOther,
            problemFieldWithRules, problemRulesSeparator, errorPageBackCustomer, errorPageBackHelp, errorPageBackAgent,
            telegramStart, telegramHelp, telegramFileTooLarge, mailExpectedHours, telegramExpectedDefault, telegramFileUnavailable, telegramUnsupported,
        ]
        keys += NoticeMail.allCases.flatMap { [mailSubject($0), mailBody($0)] }
        keys += SLAMetric.allCases.map(slaMetric)
        keys += ["warning", "breach"].flatMap { [slaNotificationSubject($0), slaNotificationBody($0)] }
        keys += [slaExpectWithin, slaExpectClosed, durationMinutes, durationHours, durationDays, durationHoursMinutes]
        keys += [csatTelegramQuestion, csatTelegramThanks, csatMailSubject, csatMailBody] + SurveyAnswer.ratings.map(csatRating)
        keys += FeedbackStatus.allCases.map(feedbackStatus) + [feedbackStatusMailSubject, feedbackStatusMailBody]
        keys += SecretKind.allCases.flatMap { [secretWarning($0), secretMarker($0)] }
        keys += MovementKind.allCases.flatMap { [movement($0), movements($0), movementsTitle($0)] }
        keys += [window(.rolling24h), window(.rolling30d)]
        keys += DecisionCode.allCases.map(decision)
        keys += wordedRules.map(problemRule) + namedThings.map(problemThing)
        return keys
    }
}

extension Catalog {
    public func text(_ key: TextKey, _ locale: UILocale, _ values: [String: String] = [:]) -> String {
        text(key.rawValue, locale, values)
    }

    public func contains(_ key: TextKey) -> Bool { contains(key.rawValue) }
}
