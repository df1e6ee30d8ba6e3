import Foundation
import KefuCore
import KefuRisk

/// A customer's limits as the templates show them (the agents' panel and the customer's page).
extension LimitsSummary {
    func values(_ page: ConsolePage) -> [String: Any] {
        // When a window frees up, shown only while something of it is used.
        func frees(_ usage: WindowUsage, at date: Date?) -> Any { usage.used > .zero ? (date.map(ConsolePage.shortTime) ?? false) : false }
        return [
            "tier": tier, "country": country ?? false,
            "rows": rows.map { row -> [String: Any] in
                [
                    "kind": page.t("movement_\(row.kind.rawValue)"), "disabled": row.disabled, "per_transaction": row.caps.perTransaction.display,
                    "day_limit": row.day.limit.display, "day_left": row.day.remaining.display,
                    "month_limit": row.month.limit.display, "month_left": row.month.remaining.display,
                    "day_frees_text": frees(row.day, at: row.dayFreesAt), "day_frees_iso": row.dayFreesAt.map(ConsolePage.isoTime) ?? "",
                    "month_frees_text": frees(row.month, at: row.monthFreesAt), "month_frees_iso": row.monthFreesAt.map(ConsolePage.isoTime) ?? "",
                ]
            },
            "holds": holds.map { ["kind": page.t("movement_\($0.kind.rawValue)"), "value": $0.value.display, "code": page.t("hold_rule_\($0.decision.code.rawValue)")] },
            "has_holds": !holds.isEmpty,
        ]
    }
}
