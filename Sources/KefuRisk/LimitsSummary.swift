import Foundation
import KefuAccounts
import KefuCore
import KefuStore

/// An account's limits as people read them: per kind the caps that apply (tier and regions),
/// what is used and left of each rolling window and when it next frees up, the holds waiting,
/// the withdrawal lock. The agent's panel and the customer's account page show it; agents paste
/// `explanation` into a reply.
public struct LimitsSummary: Sendable {
    public struct Row: Sendable {
        public let kind: MovementKind
        public let caps: KindLimits
        public let disabled: Bool
        public let day: WindowUsage
        public let month: WindowUsage
        /// When the oldest movement in the 24-hour (30-day) window ages out.
        public let dayFreesAt: Date?
        public let monthFreesAt: Date?
    }

    public let tier: Int
    public let country: String?
    public let rows: [Row]
    public let holds: [Authorization]
    public let lockedUntil: Date?

    public static func load(_ account: Account, store: any AuthorizationRepository, policy: RiskPolicy, now: Date) async throws -> LimitsSummary {
        let starts = try await store.windowStarts(accountId: account.id, now: now)
        var rows: [Row] = []
        for kind in MovementKind.allCases {
            guard let activity = try await store.accountActivity(accountId: account.id, kind: kind, destination: nil, now: now) else { continue }
            let caps = AuthorizationRules.limits(for: kind, activity: activity, country: nil, policy: policy)
            let disabled = policy.disables(kind, in: [account.country])
            rows.append(
                Row(
                    kind: kind, caps: caps, disabled: disabled || caps.isClosed,
                    day: WindowUsage(window: .rolling24h, limit: caps.rolling24h, used: activity.used24h),
                    month: WindowUsage(window: .rolling30d, limit: caps.rolling30d, used: activity.used30d),
                    dayFreesAt: starts[kind]?.oldest24h?.addingTimeInterval(LimitWindow.rolling24h.length),
                    monthFreesAt: starts[kind]?.oldest30d.addingTimeInterval(LimitWindow.rolling30d.length)))
        }
        let lock = account.withdrawalsLockedUntil.flatMap { $0 > now ? $0 : nil }
        return LimitsSummary(tier: account.tier, country: account.country, rows: rows, holds: try await store.heldAuthorizations(accountId: account.id, limit: 100), lockedUntil: lock)
    }

    /// The limits in a few sentences in the customer's language, ready to paste into a reply.
    public func explanation(locale: String?) -> String {
        let zh = AccountMails.chinese(locale)
        var lines = [zh ? "您当前的认证等级为 \(tier) 级。" : "Your account is at verification tier \(tier)."]
        for row in rows {
            let kind = DecisionMessages.kind(row.kind, zh: zh)
            if row.disabled {
                lines.append(zh ? "\(kind)：当前不可用，完成更高等级的认证后开放。" : "\(kind.capitalized)s: not available at this tier; a higher verification tier unlocks them.")
                continue
            }
            let m = { DecisionMessages.money($0, zh: zh) }
            lines.append(
                zh
                    ? "\(kind)：单笔最多 \(m(row.caps.perTransaction))；24 小时额度 \(m(row.day.limit))，已用 \(m(row.day.used))，剩余 \(m(row.day.remaining))；30 天额度 \(m(row.month.limit))，剩余 \(m(row.month.remaining))。"
                    : "\(kind.capitalized)s: up to \(m(row.caps.perTransaction)) each; 24-hour limit \(m(row.day.limit)), \(m(row.day.used)) used, \(m(row.day.remaining)) left; 30-day limit \(m(row.month.limit)), \(m(row.month.remaining)) left.")
            if let frees = row.dayFreesAt, row.day.used > .zero {
                lines.append(zh ? "24 小时额度将从 \(DecisionMessages.time(frees)) 起陆续恢复。" : "The 24-hour limit starts to free up at \(DecisionMessages.time(frees)).")
            }
        }
        if let lock = lockedUntil {
            lines.append(
                zh ? "因最近的安全设置变更，提现在 \(DecisionMessages.time(lock)) 前需要人工审核。" : "After a recent security change, withdrawals are reviewed by our team until \(DecisionMessages.time(lock)).")
        }
        if !holds.isEmpty {
            lines.append(zh ? "您有 \(holds.count) 笔提现正在人工审核，结果会通知您。" : "\(holds.count) withdrawal(s) are being reviewed; we will tell you the outcome.")
        }
        return lines.joined(separator: "\n")
    }
}
