import Foundation
import KefuCore
import KefuLocalization

/// The mails Kefu sends about an account, in the customer's language, from the catalog. Every
/// one ends with the reminder that support never asks for secrets.
public enum AccountMails {
    static func mail(_ mail: NoticeMail, _ locale: String?, _ values: [String: String] = [:]) -> (subject: String, text: String) {
        Catalog.standard.mail(mail, UILocale(storedTag: locale), values)
    }

    public static func verify(link: String, locale: String?) -> (subject: String, text: String) {
        mail(.verify, locale, ["link": link])
    }

    public static func reset(link: String, minutes: Int, locale: String?) -> (subject: String, text: String) {
        mail(.reset, locale, ["link": link, "minutes": String(minutes)])
    }

    public static func passwordChanged(lockHours: Int, locale: String?) -> (subject: String, text: String) {
        mail(.passwordChanged, locale, ["lockHours": String(lockHours)])
    }

    public static func alreadyRegistered(locale: String?) -> (subject: String, text: String) {
        mail(.alreadyRegistered, locale)
    }

    public static func newDevice(device: String, address: String, link: String, locale: String?) -> (subject: String, text: String) {
        mail(.newDevice, locale, ["device": device, "address": address, "link": link])
    }

    /// The customer's anti-phishing code opens every mail Kefu sends them: a fake cannot know it.
    public static func withAntiPhishingCode(_ text: String, code: String?, locale: String?) -> String {
        Catalog.standard.withAntiPhishingCode(text, code: code, locale: UILocale(storedTag: locale))
    }

    public static func confirmNewEmail(link: String, lockHours: Int, locale: String?) -> (subject: String, text: String) {
        mail(.confirmNewEmail, locale, ["link": link, "lockHours": String(lockHours)])
    }

    public static func emailChanged(newEmail: String, link: String, lockHours: Int, locale: String?) -> (subject: String, text: String) {
        mail(.emailChanged, locale, ["newEmail": newEmail, "link": link, "lockHours": String(lockHours)])
    }

    /// When a 2FA reset applies, as the mail says it: UTC, to the minute.
    public static func utc(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    public static func twoFactorResetScheduled(appliesAt: Date, lockHours: Int, link: String, locale: String?) -> (subject: String, text: String) {
        mail(.twoFactorResetScheduled, locale, ["appliesAt": utc(appliesAt), "lockHours": String(lockHours), "link": link])
    }

    public static func twoFactorResetApplied(lockHours: Int, locale: String?) -> (subject: String, text: String) {
        mail(.twoFactorResetApplied, locale, ["lockHours": String(lockHours)])
    }

    public static func twoFactorResetCancelled(locale: String?) -> (subject: String, text: String) {
        mail(.twoFactorResetCancelled, locale)
    }

    public static func holdReleased(kind: String, value: String, locale: String?) -> (subject: String, text: String) {
        mail(.holdReleased, locale, ["kind": kind, "value": value])
    }

    public static func holdRejected(kind: String, value: String, locale: String?) -> (subject: String, text: String) {
        mail(.holdRejected, locale, ["kind": kind, "value": value])
    }
}
