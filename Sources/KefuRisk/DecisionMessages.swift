import Foundation
import KefuAccounts
import KefuCore

/// A decision explained to the customer, in their language, with the numbers: the wallet shows
/// it, agents paste it into replies, the account page repeats it.
public enum DecisionMessages {
    public static func kind(_ kind: MovementKind, zh: Bool) -> String {
        switch (kind, zh) {
        case (.transfer, true): "转账"
        case (.withdrawal, true): "提现"
        case (.transfer, false): "transfer"
        case (.withdrawal, false): "withdrawal"
        }
    }

    public static func window(_ window: LimitWindow, zh: Bool) -> String {
        switch (window, zh) {
        case (.rolling24h, true): "24 小时"
        case (.rolling30d, true): "30 天"
        case (.rolling24h, false): "24-hour"
        case (.rolling30d, false): "30-day"
        }
    }

    public static func money(_ value: USD, zh: Bool) -> String { zh ? "\(value.display) 美元" : "\(value.display) USD" }

    /// "2026-11-27 03:00 UTC", to the minute (rounded up: never earlier than it really frees).
    public static func time(_ date: Date) -> String {
        AccountMails.utc(Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.up) * 60))
    }

    public static func message(_ authorization: Authorization, tier: Int, locale: String?) -> String {
        let zh = AccountMails.chinese(locale)
        let decision = authorization.decision
        let kindName = kind(authorization.kind, zh: zh)
        let value = money(authorization.value, zh: zh)
        let tight = decision.tightest
        let windowName = window(tight.window, zh: zh)
        let retry = authorization.retryAt.map { zh ? "\(time($0)) 起可以再试。" : "It can go through from \(time($0))." } ?? ""
        let holdTail =
            zh ? "审核期间资金不会离开您的账户，结果会通知您。" : "The money stays in your account while we check, and we will tell you the outcome."
        switch decision.code {
        case .withinLimits:
            return zh
                ? "已批准。您的\(windowName)\(kindName)额度 \(money(tight.limit, zh: zh))，剩余 \(money(tight.remaining, zh: zh))。"
                : "Approved. \(money(tight.remaining, zh: zh)) of your \(windowName) \(kindName) limit of \(money(tight.limit, zh: zh)) is left."
        case .disabledInRegion:
            return zh ? "您所在的地区暂不支持\(kindName)。" : "\(kindName.capitalized)s are not available in your region."
        case .notAllowedForTier:
            return zh
                ? "您当前的认证等级（\(tier) 级）不支持\(kindName)。完成身份认证即可提升等级。"
                : "Your verification tier (\(tier)) does not allow \(kindName)s. Complete identity verification to raise it."
        case .overPerTransaction:
            return zh
                ? "本次\(kindName) \(value) 超过了单笔限额 \(money(decision.perTransaction, zh: zh))（认证等级 \(tier) 级）。请分笔操作或提升认证等级。"
                : "This \(kindName) of \(value) is over your per-transaction limit of \(money(decision.perTransaction, zh: zh)) (verification tier \(tier)). Split it, or raise your tier."
        case .over24h, .over30d:
            let refused = decision.code == .over24h ? LimitWindow.rolling24h : .rolling30d
            let cap = decision.caps.cap(for: refused)
            let used = refused == tight.window ? tight.used : nil
            let usage = used.map {
                zh ? "已用 \(money($0, zh: zh))，剩余 \(money(max(.zero, cap - $0), zh: zh))。" : "\(money($0, zh: zh)) used, \(money(max(.zero, cap - $0), zh: zh)) left."
            } ?? ""
            return zh
                ? "本次\(kindName) \(value) 将超出您的\(window(refused, zh: zh))\(kindName)额度 \(money(cap, zh: zh))。\(usage)\(retry)"
                : "This \(kindName) of \(value) would pass your \(window(refused, zh: zh)) \(kindName) limit of \(money(cap, zh: zh)). \(usage) \(retry)"
                    .replacingOccurrences(of: "  ", with: " ").trimmingCharacters(in: .whitespaces)
        case .tooManyWithdrawals:
            return zh
                ? "您在 24 小时内的提现次数已达到当前认证等级的上限。\(retry)"
                : "You have made as many withdrawals in 24 hours as your verification tier allows. \(retry)".trimmingCharacters(in: .whitespaces)
        case .securityLock:
            return zh
                ? "该提现正在人工审核：您的账户安全设置最近有变更（密码、两步验证或邮箱）。\(holdTail)"
                : "This withdrawal is on hold for review: your account's security settings changed recently (password, 2FA or email). \(holdTail)"
        case .newDevice:
            return zh
                ? "该提现正在人工审核：您最近在新的设备或网络上登录过。\(holdTail)"
                : "This withdrawal is on hold for review: you signed in from a new device or network recently. \(holdTail)"
        case .newDestination:
            return zh
                ? "该提现正在人工审核：这是您第一次向该地址提现 \(value)。\(holdTail)"
                : "This withdrawal is on hold for review: it is your first withdrawal of \(value) to this address. \(holdTail)"
        case .velocity:
            return zh
                ? "该提现正在人工审核：过去一小时内有多笔提现。\(holdTail)"
                : "This withdrawal is on hold for review: there were several withdrawals in the past hour. \(holdTail)"
        case .largeShare:
            return zh
                ? "该提现正在人工审核：金额 \(value) 占您 30 天提现额度的比例较大。\(holdTail)"
                : "This withdrawal is on hold for review: \(value) is a large share of your 30-day withdrawal limit. \(holdTail)"
        }
    }
}
