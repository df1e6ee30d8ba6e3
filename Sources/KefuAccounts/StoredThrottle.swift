import Foundation
import KefuCore
import KefuStore
import Logging
import Synchronization

/// Credential limits kept in the database, shared by every instance on it: an attacker who
/// spreads guesses over instances meets one budget, not one per instance. The rule is
/// `ThrottlePolicy`'s, applied inside the transaction that records the attempt.
///
/// When the database cannot be asked, the check is refused (wait a few seconds) rather than
/// let through: a throttle that fails open is no throttle.
public struct StoredThrottle: CredentialThrottle {
    let store: any CredentialAttemptRepository
    let logger: Logger
    let now: @Sendable () -> Date
    /// When attempts no policy remembers were last dropped (at most once a minute per instance).
    private let lastSweep = SweepClock()

    /// Longer than every policy's window (the longest is 15 minutes).
    public static let kept: TimeInterval = 86_400

    public init(store: any CredentialAttemptRepository, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.logger = logger
        self.now = now
    }

    public func reserve(_ keys: [(String, ThrottlePolicy)]) async -> ThrottleDecision {
        let at = now()
        let id = TimeOrderedUUID.make(at: at)
        do {
            if let wait = try await store.reserveCredentialAttempt(id: id, keys: keys, at: at) { return .wait(seconds: wait) }
            if lastSweep.due(at: at) { try await store.forgetCredentialAttempts(before: at.addingTimeInterval(-Self.kept)) }
            return .granted(ThrottleTicket(keys: keys.map(\.0), at: at, id: id))
        } catch {
            logger.error("credential throttle unavailable; the check is refused", metadata: ["error": "\(String(reflecting: error))"])
            return .wait(seconds: 5)
        }
    }

    public func giveBack(_ ticket: ThrottleTicket) async {
        do {
            try await store.removeCredentialAttempt(id: ticket.id, keys: ticket.keys.count)
        } catch {
            logger.error("credential attempt not given back", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    public func reset(_ key: String) async {
        do {
            try await store.clearCredentialAttempts(key: key)
        } catch {
            logger.error("credential attempts not cleared", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}

/// Says "now" at most once a minute.
final class SweepClock: Sendable {
    private let next = Mutex<Date?>(nil)

    func due(at date: Date) -> Bool {
        next.withLock { next in
            guard next.map({ date >= $0 }) ?? true else { return false }
            next = date.addingTimeInterval(60)
            return true
        }
    }
}
