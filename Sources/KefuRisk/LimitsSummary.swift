import Foundation
import KefuAccounts
import KefuCore
import KefuLocalization
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
    public func explanation(locale tag: String?) -> String {
        let locale = UILocale(storedTag: tag)
        let catalog = Catalog.standard
        let m = { DecisionMessages.money($0, locale) }
        var lines = [catalog.text(.limitsTier, locale, ["tier": String(tier)])]
        for row in rows {
            var values = DecisionMessages.kinds(row.kind, locale)
            if row.disabled {
                lines.append(catalog.text(.limitsKindDisabled, locale, values))
                continue
            }
            values.merge(
                [
                    "perTransaction": m(row.caps.perTransaction), "dayLimit": m(row.day.limit), "dayUsed": m(row.day.used),
                    "dayLeft": m(row.day.remaining), "monthLimit": m(row.month.limit), "monthLeft": m(row.month.remaining),
                ], uniquingKeysWith: { $1 })
            lines.append(catalog.text(.limitsKindRow, locale, values))
            if let frees = row.dayFreesAt, row.day.used > .zero {
                lines.append(catalog.text(.limitsDayFrees, locale, ["time": DecisionMessages.time(frees)]))
            }
        }
        if let lock = lockedUntil {
            lines.append(catalog.text(.limitsLocked, locale, ["time": DecisionMessages.time(lock)]))
        }
        if !holds.isEmpty {
            lines.append(catalog.text(.limitsHolds, locale, ["count": String(holds.count)]))
        }
        return lines.joined(separator: "\n")
    }
}
