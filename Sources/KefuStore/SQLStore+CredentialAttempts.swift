import Foundation
import KefuCore
import SQLKit

/// Credential attempts kept in the database, so every instance counts against the same limits:
/// a burst spread over instances is admitted one attempt at a time, as on one instance.
public protocol CredentialAttemptRepository: Sendable {
    /// Records attempt `id` against every key, in one transaction, unless `ThrottlePolicy` says
    /// one of them must wait: then nothing is recorded and the wait in seconds is returned.
    func reserveCredentialAttempt(id: String, keys: [(String, ThrottlePolicy)], at: Date) async throws -> Int?
    /// The check succeeded: attempt `id` (recorded against `keys` keys) no longer counts.
    func removeCredentialAttempt(id: String, keys: Int) async throws
    func clearCredentialAttempts(key: String) async throws
    /// Drops attempts older than `before` (no policy remembers them).
    func forgetCredentialAttempts(before: Date) async throws
}

extension SQLStore: CredentialAttemptRepository {
    public func reserveCredentialAttempt(id: String, keys: [(String, ThrottlePolicy)], at date: Date) async throws -> Int? {
        guard !keys.isEmpty else { return nil }
        // Attempts are stored to the millisecond: "now" is counted at the same precision, or a
        // 2 s delay could come out as 2.0004 s and be answered as a 3 s Retry-After.
        let date = Clock.date(Clock.millis(date))
        let names = keys.map(\.0)
        let oldest = Clock.millis(date.addingTimeInterval(-(keys.map(\.1.window).max() ?? 0)))
        let flavor = self.flavor
        return try await database.write { sql -> Int? in
            // Each key's attempts are counted under its own lock, taken in one order by
            // everyone (no deadlock).
            for name in Set(names).sorted() { try await Self.lockForTransaction(name, on: sql, flavor) }
            let rows = try await sql.raw(
                """
                SELECT throttle_key, attempted_at FROM credential_attempts
                WHERE throttle_key IN (\(binds: names)) AND attempted_at >= \(bind: oldest)
                """
            ).all()
            var attempts: [String: [Date]] = [:]
            for row in rows { attempts[try row.string("throttle_key"), default: []].append(try row.date("attempted_at")) }
            let waits = keys.compactMap { key, policy in
                policy.nextAllowedAttempt(failures: attempts[key] ?? [], now: date).map { $0.timeIntervalSince(date) }
            }
            if let longest = waits.max() { return max(1, Int(longest.rounded(.up))) }
            for (index, name) in names.enumerated() {
                try await sql.raw(
                    """
                    INSERT INTO credential_attempts (id, throttle_key, attempted_at)
                    VALUES (\(bind: "\(id).\(index)"), \(bind: name), \(bind: Clock.millis(date)))
                    """
                ).run()
            }
            return nil
        }
    }

    public func removeCredentialAttempt(id: String, keys: Int) async throws {
        guard keys > 0 else { return }
        try await database.write { sql in
            try await sql.raw("DELETE FROM credential_attempts WHERE id IN (\(binds: (0..<keys).map { "\(id).\($0)" }))").run()
        }
    }

    public func clearCredentialAttempts(key: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM credential_attempts WHERE throttle_key = \(bind: key)").run()
        }
    }

    public func forgetCredentialAttempts(before: Date) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM credential_attempts WHERE attempted_at < \(bind: Clock.millis(before))").run()
        }
    }
}
