import Foundation
import KefuAccounts
import KefuCore
import KefuLocalization

/// A decision explained to the customer, in their language, with the numbers: the wallet shows
/// it, agents paste it into replies, the account page repeats it. The words are the catalog's
/// (`decision_*`); this fills in the figures.
public enum DecisionMessages {
    static var catalog: Catalog { .standard }

    public static func kind(_ kind: MovementKind, _ locale: UILocale) -> String { catalog.text(.movement(kind), locale) }

    /// "transfers", "Transfers" (and the Chinese, which has no plural or case).
    static func kinds(_ kind: MovementKind, _ locale: UILocale) -> [String: String] {
        [
            "kind": catalog.text(.movement(kind), locale), "kinds": catalog.text(.movements(kind), locale),
            "Kinds": catalog.text(.movementsTitle(kind), locale),
        ]
    }

    static func window(_ window: LimitWindow, _ locale: UILocale) -> String { catalog.text(.window(window), locale) }

    public static func money(_ value: USD, _ locale: UILocale) -> String { catalog.text(.money, locale, ["amount": value.display]) }

    /// "2026-11-27 03:00 UTC", to the minute (rounded up: never earlier than it really frees).
    public static func time(_ date: Date) -> String {
        AccountMails.utc(Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.up) * 60))
    }

    public static func message(_ authorization: Authorization, tier: Int, locale: String?) -> String {
        let locale = UILocale(storedTag: locale)
        let decision = authorization.decision
        let tight = decision.tightest
        var values = kinds(authorization.kind, locale)
        values["value"] = money(authorization.value, locale)
        values["tier"] = String(tier)
        values["window"] = window(tight.window, locale)
        values["retry"] = authorization.retryAt.map { catalog.text(.decisionRetry, locale, ["time": time($0)]) } ?? ""
        values["tail"] = catalog.text(.decisionHoldTail, locale)
        switch decision.code {
        case .withinLimits:
            values["limit"] = money(tight.limit, locale)
            values["remaining"] = money(tight.remaining, locale)
        case .overPerTransaction:
            values["limit"] = money(decision.perTransaction, locale)
        case .over24h, .over30d:
            let refused = decision.code == .over24h ? LimitWindow.rolling24h : .rolling30d
            let cap = decision.caps.cap(for: refused)
            values["window"] = window(refused, locale)
            values["cap"] = money(cap, locale)
            values["usage"] =
                refused == tight.window
                ? catalog.text(.decisionUsage, locale, ["used": money(tight.used, locale), "left": money(max(.zero, cap - tight.used), locale)])
                : ""
        case .disabledInRegion, .notAllowedForTier, .tooManyWithdrawals, .securityLock, .newDevice, .newDestination, .velocity, .largeShare:
            break
        }
        // Parts left empty (no retry time, no usage) leave no doubled or trailing spaces.
        return catalog.text(.decision(decision.code), locale, values).replacingOccurrences(of: "  ", with: " ").trimmingCharacters(in: .whitespaces)
    }
}
