import Foundation
import KefuCore

/// The mails Kefu sends a customer about their account and money. Each has a subject and a body
/// in the catalog (`mail_<name>_subject`, `mail_<name>_body`); every body ends with the reminder
/// that support never asks for secrets (`{warning}`).
public enum NoticeMail: String, CaseIterable, Sendable {
    case verify
    case reset
    case passwordChanged = "password_changed"
    case alreadyRegistered = "already_registered"
    case newDevice = "new_device"
    case confirmNewEmail = "confirm_new_email"
    case emailChanged = "email_changed"
    case twoFactorResetScheduled = "two_factor_reset_scheduled"
    case twoFactorResetApplied = "two_factor_reset_applied"
    case twoFactorResetCancelled = "two_factor_reset_cancelled"
    case holdReleased = "hold_released"
    case holdRejected = "hold_rejected"
}

extension Catalog {
    /// A notice's subject and text in `locale`, with `values` filled in.
    public func mail(_ mail: NoticeMail, _ locale: UILocale, _ values: [String: String] = [:]) -> (subject: String, text: String) {
        var values = values
        values["warning"] = text(.mailWarning, locale)
        return (text(.mailSubject(mail), locale, values), text(.mailBody(mail), locale, values))
    }

    /// The customer's anti-phishing code on top of a mail's text: a fake cannot know it.
    public func withAntiPhishingCode(_ text: String, code: String?, locale: UILocale) -> String {
        guard let code else { return text }
        return self.text(.mailAntiPhishingLine, locale, ["code": code]) + "\n\n" + text
    }
}
