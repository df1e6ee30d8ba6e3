import Foundation

/// One movement of money the wallet's backend asks about.
public struct AuthorizationRequest: Sendable, Equatable {
    public var kind: MovementKind
    public var value: USD
    public var destination: String?
    /// Where the request comes from, when the caller knows (ISO 3166-1 alpha-2).
    public var country: String?

    public init(kind: MovementKind, value: USD, destination: String? = nil, country: String? = nil) {
        self.kind = kind
        self.value = value
        self.destination = destination
        self.country = country
    }
}

/// What the store knows about the account at the moment of deciding (read in the same
/// transaction that records the decision, so parallel requests see each other).
public struct AccountActivity: Sendable, Equatable {
    public var tier: Int
    public var verifiedCountry: String?
    public var withdrawalsLockedUntil: Date?
    /// The latest sign-in from a device or address the account had not used.
    public var lastNewDeviceAt: Date?
    /// Value of this kind counted against the windows: approved, held (the money waits) and
    /// released authorizations; denied, rejected and voided ones count for nothing.
    public var used24h: USD
    public var used30d: USD
    public var withdrawals24h: Int
    public var withdrawalsLastHour: Int
    /// A counted withdrawal to this destination exists.
    public var knownDestination: Bool

    public init(
        tier: Int, verifiedCountry: String? = nil, withdrawalsLockedUntil: Date? = nil, lastNewDeviceAt: Date? = nil, used24h: USD = .zero,
        used30d: USD = .zero, withdrawals24h: Int = 0, withdrawalsLastHour: Int = 0, knownDestination: Bool = false
    ) {
        self.tier = tier
        self.verifiedCountry = verifiedCountry
        self.withdrawalsLockedUntil = withdrawalsLockedUntil
        self.lastNewDeviceAt = lastNewDeviceAt
        self.used24h = used24h
        self.used30d = used30d
        self.withdrawals24h = withdrawals24h
        self.withdrawalsLastHour = withdrawalsLastHour
        self.knownDestination = knownDestination
    }
}

public enum DecisionOutcome: String, Sendable, Codable {
    case approved
    case denied
    case held
}

/// Why: a stable code for the wallet's backend, explained to people in their language.
public enum DecisionCode: String, Sendable, Codable, CaseIterable {
    case withinLimits = "within_limits"
    case disabledInRegion = "disabled_in_region"
    case notAllowedForTier = "not_allowed_for_tier"
    case overPerTransaction = "over_per_transaction_limit"
    case over24h = "over_24h_limit"
    case over30d = "over_30d_limit"
    case tooManyWithdrawals = "too_many_withdrawals"
    // Holds, in the order they are checked.
    case securityLock = "security_lock"
    case newDevice = "new_device"
    case newDestination = "new_destination"
    case velocity = "velocity"
    case largeShare = "large_share"

    public var isHold: Bool { [.securityLock, .newDevice, .newDestination, .velocity, .largeShare].contains(self) }
}

public enum LimitWindow: String, Sendable, Codable {
    case rolling24h = "rolling_24h"
    case rolling30d = "rolling_30d"

    public var length: TimeInterval { self == .rolling24h ? 24 * 3600 : 30 * 24 * 3600 }
}

/// A rolling window's state: its cap and what is used of it.
public struct WindowUsage: Sendable, Equatable, Codable {
    public var window: LimitWindow
    public var limit: USD
    public var used: USD
    public var remaining: USD { max(.zero, limit - used) }

    public init(window: LimitWindow, limit: USD, used: USD) {
        self.window = window
        self.limit = limit
        self.used = used
    }
}

public struct Decision: Sendable, Equatable {
    public var outcome: DecisionOutcome
    public var code: DecisionCode
    /// The tightest rolling window after this decision (counting this movement unless denied).
    public var tightest: WindowUsage
    /// The caps that applied (tier lowered by regions).
    public var caps: KindLimits
    public var perTransaction: USD { caps.perTransaction }
    /// The tier's cap on withdrawals a day (for a `tooManyWithdrawals` denial's retry time).
    public var withdrawalsPer24h: Int
    /// Every hold rule that fired (the first is `code`).
    public var holds: [DecisionCode]
    /// For a denial by a rolling window or the withdrawal count: which one, so the store can say
    /// when it frees up (see `AuthorizationRules.retryAt`).
    public var refusedBy: LimitWindow?

    public init(
        outcome: DecisionOutcome, code: DecisionCode, tightest: WindowUsage, caps: KindLimits, withdrawalsPer24h: Int = 0,
        holds: [DecisionCode] = [], refusedBy: LimitWindow? = nil
    ) {
        self.withdrawalsPer24h = withdrawalsPer24h
        self.outcome = outcome
        self.code = code
        self.tightest = tightest
        self.caps = caps
        self.holds = holds
        self.refusedBy = refusedBy
    }
}

/// The decision, as a pure function of the request, the account's activity and the policy.
public enum AuthorizationRules {
    /// The caps that apply: the tier's, lowered by the rules of the account's verified country
    /// and of the request's country.
    public static func limits(for kind: MovementKind, activity: AccountActivity, country: String?, policy: RiskPolicy) -> KindLimits {
        policy.tier(activity.tier).limits(kind)
            .capped(by: policy.region(activity.verifiedCountry)?.limits(kind))
            .capped(by: policy.region(country)?.limits(kind))
    }

    public static func decide(_ request: AuthorizationRequest, activity: AccountActivity, policy: RiskPolicy, now: Date) -> Decision {
        let kind = request.kind
        let caps = limits(for: kind, activity: activity, country: request.country, policy: policy)
        let perDay = policy.tier(activity.tier).withdrawalsPer24h
        let value = request.value

        func windows(counting extra: USD) -> WindowUsage {
            let day = WindowUsage(window: .rolling24h, limit: caps.rolling24h, used: activity.used24h + extra)
            let month = WindowUsage(window: .rolling30d, limit: caps.rolling30d, used: activity.used30d + extra)
            return month.remaining < day.remaining ? month : day
        }
        func deny(_ code: DecisionCode, by window: LimitWindow? = nil) -> Decision {
            Decision(
                outcome: .denied, code: code, tightest: windows(counting: .zero), caps: caps, withdrawalsPer24h: perDay, refusedBy: window)
        }

        if policy.disables(kind, in: [activity.verifiedCountry, request.country]) { return deny(.disabledInRegion) }
        if caps.isClosed { return deny(.notAllowedForTier) }
        if value > caps.perTransaction { return deny(.overPerTransaction) }
        if activity.used24h + value > caps.rolling24h { return deny(.over24h, by: .rolling24h) }
        if activity.used30d + value > caps.rolling30d { return deny(.over30d, by: .rolling30d) }
        if kind == .withdrawal, activity.withdrawals24h >= perDay {
            return deny(.tooManyWithdrawals, by: .rolling24h)
        }

        var holds: [DecisionCode] = []
        if kind == .withdrawal {
            let rules = policy.rules
            if rules.securityLock, let lock = activity.withdrawalsLockedUntil, lock > now { holds.append(.securityLock) }
            if rules.newDeviceHours > 0, let seen = activity.lastNewDeviceAt, now.timeIntervalSince(seen) < TimeInterval(rules.newDeviceHours) * 3600 {
                holds.append(.newDevice)
            }
            if let from = rules.newDestinationFromUSD, request.destination != nil, !activity.knownDestination, value >= from {
                holds.append(.newDestination)
            }
            if rules.withdrawalsPerHour > 0, activity.withdrawalsLastHour >= rules.withdrawalsPerHour { holds.append(.velocity) }
            if rules.largeSharePercent > 0, value > caps.rolling30d.percent(rules.largeSharePercent) { holds.append(.largeShare) }
        }
        return Decision(
            outcome: holds.isEmpty ? .approved : .held, code: holds.first ?? .withinLimits, tightest: windows(counting: value), caps: caps,
            withdrawalsPer24h: perDay, holds: holds)
    }

    /// When a movement refused by the rolling windows fits both: the later of the moments
    /// enough of each window's counted entries (time, value) have aged out. Nil when it never
    /// fits (the value alone is over a cap). `entries` are the last 30 days'.
    public static func retryAt(entries: [(at: Date, value: USD)], caps: KindLimits, value: USD, now: Date) -> Date? {
        var latest = now
        for window in [LimitWindow.rolling24h, .rolling30d] {
            let cap = caps.cap(for: window)
            let inWindow = entries.filter { now.timeIntervalSince($0.at) < window.length }
            let used = inWindow.reduce(USD.zero) { $0 + $1.value }
            if used + value <= cap { continue }
            guard let fits = retryAt(entries: inWindow, used: used, limit: cap, value: value, window: window) else { return nil }
            latest = max(latest, fits)
        }
        return latest == now ? nil : latest
    }

    /// When a refused movement would fit one window: the moment enough of its counted entries
    /// (time, value) have aged out. Nil when it never fits (the value alone is over the cap).
    public static func retryAt(entries: [(at: Date, value: USD)], used: USD, limit: USD, value: USD, window: LimitWindow) -> Date? {
        guard value <= limit else { return nil }
        var remaining = used
        for entry in entries.sorted(by: { $0.at < $1.at }) {
            remaining = remaining - entry.value
            if remaining + value <= limit { return entry.at.addingTimeInterval(window.length) }
        }
        return nil
    }

    /// When the next withdrawal is allowed under a count cap: the oldest counted ones age out.
    public static func retryAt(withdrawalTimes: [Date], maxCount: Int) -> Date? {
        guard maxCount > 0 else { return nil }
        let sorted = withdrawalTimes.sorted()
        let mustExpire = sorted.count - maxCount + 1
        guard mustExpire > 0, mustExpire <= sorted.count else { return nil }
        return sorted[mustExpire - 1].addingTimeInterval(LimitWindow.rolling24h.length)
    }
}
