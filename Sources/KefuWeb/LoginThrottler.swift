import Foundation
import KefuCore

/// Remembers recent credential failures per key ("account:…", "address:…") and answers when
/// the next attempt may be made, by `ThrottlePolicy`. In memory: one instance per process,
/// which is right for one Kefu; several instances will share it through the database later.
public actor LoginThrottler {
    private var failures: [String: [Date]] = [:]
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Seconds to wait before another attempt for any of `keys`, or nil when allowed now.
    public func retryAfter(_ keys: [(String, ThrottlePolicy)]) -> Int? {
        let current = now()
        let waits = keys.compactMap { key, policy -> TimeInterval? in
            policy.nextAllowedAttempt(failures: failures[key] ?? [], now: current).map { $0.timeIntervalSince(current) }
        }
        guard let longest = waits.max() else { return nil }
        return max(1, Int(longest.rounded(.up)))
    }

    public func recordFailure(_ keys: [(String, ThrottlePolicy)]) {
        let current = now()
        for (key, policy) in keys {
            failures[key] = policy.prune(failures[key] ?? [], now: current) + [current]
        }
        if failures.count > 100_000 { failures = failures.filter { !$0.value.isEmpty } }
    }

    public func reset(_ key: String) {
        failures[key] = nil
    }
}
