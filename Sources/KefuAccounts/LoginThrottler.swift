import Foundation
import KefuCore

/// One credential check, already counted against its keys before it ran. A check that
/// succeeds gives it back; a failed one leaves it counted.
public struct ThrottleTicket: Sendable {
    public let keys: [String]
    public let at: Date
    /// The stored attempt, when the throttle keeps them in the database.
    public var id: String = ""
}

/// The answer to "may this check run now?": a ticket, or how long to wait.
public enum ThrottleDecision: Sendable {
    case granted(ThrottleTicket)
    case wait(seconds: Int)
}

/// Credential-attempt limits shared by every check of a password, a TOTP code or a recovery
/// code. Process-local today; several instances will share one through the database, so the
/// services see only this interface.
public protocol CredentialThrottle: Sendable {
    /// Counts an attempt against every key, in one step, unless one of them is over its limit:
    /// a parallel burst is admitted one by one, never evaluated as a whole.
    func reserve(_ keys: [(String, ThrottlePolicy)]) async -> ThrottleDecision
    /// The check succeeded: the attempt no longer counts.
    func giveBack(_ ticket: ThrottleTicket) async
    /// Forgets every attempt under `key` (a successful sign-in clears its account).
    func reset(_ key: String) async
}

extension CredentialThrottle {
    /// The ticket for a check that may run, or `too_many_attempts` with the wait.
    public func admit(_ keys: [(String, ThrottlePolicy)]) async throws -> ThrottleTicket {
        switch await reserve(keys) {
        case .granted(let ticket): return ticket
        case .wait(let seconds): throw AccountError.tooManyAttempts(retryAfter: seconds)
        }
    }
}

/// Remembers recent credential attempts per key ("account:…", "address:…") and answers when
/// the next one may be made, by `ThrottlePolicy`. In memory: one instance per process.
public actor LoginThrottler: CredentialThrottle {
    /// A key's recent attempts and how long its policy remembers them.
    public struct Entry {
        public var window: TimeInterval
        public var dates: [Date]
    }

    private var attempts: [String: Entry] = [:]
    private let now: @Sendable () -> Date
    /// Keys whose attempts have all aged out are dropped by a sweep at most once a minute, or
    /// sooner when the table has doubled: a spray of one-off keys (addresses, sessions) never
    /// grows it without bound, and no single attempt pays for scanning it.
    private var nextSweep: Date
    private var sweepAbove = 10_000

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        self.nextSweep = now().addingTimeInterval(60)
    }

    public func reserve(_ keys: [(String, ThrottlePolicy)]) -> ThrottleDecision {
        let current = now()
        if let wait = retryAfter(keys, at: current) { return .wait(seconds: wait) }
        for (key, policy) in keys {
            attempts[key] = Entry(window: policy.window, dates: policy.prune(attempts[key]?.dates ?? [], now: current) + [current])
        }
        if current >= nextSweep || attempts.count > sweepAbove { sweep(at: current) }
        return .granted(ThrottleTicket(keys: keys.map(\.0), at: current))
    }

    public func giveBack(_ ticket: ThrottleTicket) {
        for key in ticket.keys {
            guard let index = attempts[key]?.dates.lastIndex(of: ticket.at) else { continue }
            attempts[key]?.dates.remove(at: index)
        }
    }

    public func reset(_ key: String) {
        attempts[key] = nil
    }

    /// How many keys are remembered (for tests).
    public var keyCount: Int { attempts.count }

    private func sweep(at current: Date) {
        attempts = attempts.filter { _, entry in entry.dates.contains { current.timeIntervalSince($0) < entry.window } }
        nextSweep = current.addingTimeInterval(60)
        sweepAbove = max(10_000, attempts.count * 2)
    }

    /// Seconds to wait before another attempt for any of `keys`, or nil when allowed now.
    private func retryAfter(_ keys: [(String, ThrottlePolicy)], at current: Date) -> Int? {
        let waits = keys.compactMap { key, policy -> TimeInterval? in
            policy.nextAllowedAttempt(failures: attempts[key]?.dates ?? [], now: current).map { $0.timeIntervalSince(current) }
        }
        guard let longest = waits.max() else { return nil }
        return max(1, Int(longest.rounded(.up)))
    }
}
