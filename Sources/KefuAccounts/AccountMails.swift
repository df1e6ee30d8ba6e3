import Foundation
import KefuCore

/// The texts of the mails Kefu sends about an account, in the customer's language. Every one
/// ends with the reminder that support never asks for secrets.
public enum AccountMails {
    public static func chinese(_ locale: String?) -> Bool { locale.flatMap(UILocale.init(tag:)) == .zhCN }

    public static let warningZh = "我们绝不会索要您的密码、助记词、私钥或验证码。"
    public static let warningEn = "We will never ask for your password, recovery phrase, private keys or codes."

    public static func verify(link: String, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("请验证您的邮箱", "您好，\n\n请打开下面的链接验证您的邮箱（24 小时内有效）：\n\(link)\n\n如果不是您本人注册，请忽略本邮件。\n\(warningZh)")
            : ("Verify your email", "Hello,\n\nOpen this link to verify your email (valid for 24 hours):\n\(link)\n\nIf you did not sign up, ignore this mail.\n\(warningEn)")
    }

    public static func reset(link: String, minutes: Int, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("重置您的密码", "您好，\n\n我们收到了重置您账户密码的请求。请在 \(minutes) 分钟内打开下面的链接设置新密码（仅可使用一次）：\n\(link)\n\n如果不是您本人操作，请忽略本邮件，您的密码不会改变。\n\(warningZh)")
            : ("Reset your password", "Hello,\n\nWe received a request to reset your password. Open this link within \(minutes) minutes to choose a new one (it works once):\n\(link)\n\nIf you did not ask for this, ignore this mail; your password stays as it is.\n\(warningEn)")
    }

    public static func passwordChanged(lockHours: Int, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("您的密码已更改", "您好，\n\n您的账户密码刚刚被更改，所有设备已退出登录。为保护您的资金，提现将暂停 \(lockHours) 小时。\n\n如果不是您本人操作，请立即联系客服。\n\(warningZh)")
            : ("Your password was changed", "Hello,\n\nYour password was just changed and every device was signed out. To protect your funds, withdrawals are paused for \(lockHours) hours.\n\nIf this was not you, contact support at once.\n\(warningEn)")
    }

    public static func alreadyRegistered(locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("您已经有账户了", "您好，\n\n有人（可能是您自己）尝试用这个邮箱注册新账户，但它已经注册过了。如果忘记了密码，可以在登录页选择“忘记密码”。\n\n如果不是您本人操作，无需处理。\n\(warningZh)")
            : ("You already have an account", "Hello,\n\nSomeone (perhaps you) tried to sign up with this email, which already has an account. If you forgot your password, use \"Forgot password\" on the sign-in page.\n\nIf this was not you, there is nothing to do.\n\(warningEn)")
    }

    public static func newDevice(device: String, address: String, link: String, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("新设备登录提醒", "您好，\n\n您的账户刚刚在新的设备或网络上登录：\n设备：\(device)\n地址：\(address)\n\n如果是您本人，无需处理。如果不是，请立即打开下面的链接：所有设备将退出登录，提现将被冻结，客服会协助您处理。\n\(link)\n\n\(warningZh)")
            : ("A new sign-in to your account", "Hello,\n\nYour account was just signed in from a new device or network:\nDevice: \(device)\nAddress: \(address)\n\nIf this was you, there is nothing to do. If it was not, open this link at once: every device is signed out, withdrawals are frozen, and support will help you.\n\(link)\n\n\(warningEn)")
    }

    /// The customer's anti-phishing code opens every mail Kefu sends them: a fake cannot know it.
    public static func withAntiPhishingCode(_ text: String, code: String?, locale: String?) -> String {
        guard let code else { return text }
        return (chinese(locale) ? "您的防钓鱼码：\(code)" : "Your anti-phishing code: \(code)") + "\n\n" + text
    }

    public static func confirmNewEmail(link: String, lockHours: Int, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("确认您的新邮箱", "您好，\n\n请打开下面的链接，把您账户的登录邮箱改为这个地址（24 小时内有效）：\n\(link)\n\n更改后提现将暂停 \(lockHours) 小时。如果不是您本人操作，请忽略本邮件。\n\(warningZh)")
            : ("Confirm your new email", "Hello,\n\nOpen this link to make this address your account's sign-in email (valid for 24 hours):\n\(link)\n\nWithdrawals pause for \(lockHours) hours after the change. If you did not ask for this, ignore this mail.\n\(warningEn)")
    }

    public static func emailChanged(newEmail: String, link: String, lockHours: Int, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("您账户的邮箱已更改", "您好，\n\n您账户的登录邮箱已改为 \(newEmail)，提现暂停 \(lockHours) 小时。\n\n如果不是您本人操作，请立即打开下面的链接：所有设备将退出登录，提现将被冻结，并请联系客服。\n\(link)\n\n\(warningZh)")
            : ("Your account's email was changed", "Hello,\n\nYour account's sign-in email is now \(newEmail); withdrawals are paused for \(lockHours) hours.\n\nIf this was not you, open this link at once: every device is signed out and withdrawals are frozen; then contact support.\n\(link)\n\n\(warningEn)")
    }

    /// When a 2FA reset applies, as the mail says it: UTC, to the minute.
    public static func utc(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    public static func twoFactorResetScheduled(appliesAt: Date, lockHours: Int, link: String, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("客服将关闭您的两步验证", "您好，\n\n应您向客服提出的请求，您账户的两步验证将在 \(utc(appliesAt)) 关闭。关闭后所有设备将退出登录，提现暂停 \(lockHours) 小时，请登录后重新开启两步验证。\n\n如果您没有提出这个请求，请立即打开下面的链接取消，并联系客服：\n\(link)\n\n\(warningZh)")
            : ("Support will turn off your two-factor authentication", "Hello,\n\nAs you asked support, two-factor authentication on your account will be turned off at \(utc(appliesAt)). Every device will then be signed out and withdrawals paused for \(lockHours) hours; sign in and turn it on again.\n\nIf you did not ask for this, open this link at once to cancel it, and contact support:\n\(link)\n\n\(warningEn)")
    }

    public static func twoFactorResetApplied(lockHours: Int, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("您的两步验证已关闭", "您好，\n\n按照客服的安排，您账户的两步验证已关闭，所有设备已退出登录，提现暂停 \(lockHours) 小时。请登录后立即重新开启两步验证。\n\n如果不是您本人的请求，请立即联系客服。\n\(warningZh)")
            : ("Two-factor authentication is off", "Hello,\n\nAs arranged with support, two-factor authentication on your account is now off, every device was signed out and withdrawals are paused for \(lockHours) hours. Sign in and turn it on again now.\n\nIf you did not ask for this, contact support at once.\n\(warningEn)")
    }

    public static func twoFactorResetCancelled(locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("两步验证重置已取消", "您好，\n\n关闭您两步验证的请求已取消，您的账户设置没有改变。\n\n如果不是您本人取消的，请联系客服。\n\(warningZh)")
            : ("Two-factor reset cancelled", "Hello,\n\nThe request to turn off your two-factor authentication was cancelled; nothing about your account changed.\n\nIf you did not cancel it, contact support.\n\(warningEn)")
    }

    public static func holdReleased(kind: String, value: String, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("您的\(kind)已通过审核", "您好，\n\n您的\(kind)（\(value)）已通过人工审核，正在处理。\n\n如果不是您本人的操作，请立即联系客服。\n\(warningZh)")
            : ("Your \(kind) was approved", "Hello,\n\nYour \(kind) of \(value) passed our review and is on its way.\n\nIf you did not make it, contact support at once.\n\(warningEn)")
    }

    public static func holdRejected(kind: String, value: String, locale: String?) -> (subject: String, text: String) {
        chinese(locale)
            ? ("您的\(kind)未通过审核", "您好，\n\n您的\(kind)（\(value)）未通过人工审核，资金仍在您的账户中。如需了解原因，请回复本邮件或联系在线客服。\n\(warningZh)")
            : ("Your \(kind) was not approved", "Hello,\n\nYour \(kind) of \(value) did not pass our review; the money is still in your account. Reply to this mail or chat with support to learn why.\n\(warningEn)")
    }
}
