import Foundation

/// Rate limits for credential checks, keyed per account and per client address.
///
/// After `freeAttempts` failures inside `window`, each further attempt must wait a delay that
/// doubles per failure, capped at `maxDelay`. Failures older than `window` are forgotten, so an
/// attacker can slow a customer down but never lock them out for good.
public struct ThrottlePolicy: Sendable, Equatable {
    public var freeAttempts: Int
    public var window: TimeInterval
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval

    public init(freeAttempts: Int, window: TimeInterval, baseDelay: TimeInterval, maxDelay: TimeInterval) {
        self.freeAttempts = freeAttempts
        self.window = window
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Per account: 5 free failures in 15 minutes, then 2s, 4s, 8s… up to 5 minutes.
    public static let perAccount = Self(freeAttempts: 5, window: 15 * 60, baseDelay: 2, maxDelay: 300)
    /// Per address: more generous (offices share an address), same growth.
    public static let perAddress = Self(freeAttempts: 20, window: 15 * 60, baseDelay: 1, maxDelay: 300)

    /// When the next attempt may be made, given the recent failures (any order). nil: now.
    public func nextAllowedAttempt(failures: [Date], now: Date) -> Date? {
        let recent = failures.filter { now.timeIntervalSince($0) < window }.sorted()
        guard recent.count >= freeAttempts, let last = recent.last else { return nil }
        let excess = recent.count - freeAttempts
        let delay = min(maxDelay, baseDelay * pow(2, Double(min(excess, 30))))
        let allowed = last.addingTimeInterval(delay)
        return allowed > now ? allowed : nil
    }

    /// Failures worth remembering at `now` (the rest can be dropped).
    public func prune(_ failures: [Date], now: Date) -> [Date] {
        failures.filter { now.timeIntervalSince($0) < window }
    }
}
