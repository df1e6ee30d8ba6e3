// The risk engine's load: 10,000 accounts with their past authorizations, and the decision the
// benchmarks make, shared by the harness's benchmarks and StoreLoad.
import Foundation
import KefuCore
import KefuStore
import SQLKit
import Synchronization

/// The seeded accounts, as the seeding SQL and the decisions both name them.
public enum SeededAccounts {
    public static let count = 10_000
    /// A valid UUID, as routes require: the prefix, then the number in 12 digits.
    public static let prefix = "00000000-0000-4000-8000-"

    public static func id(_ number: Int) -> String {
        precondition((0..<count).contains(number), "account \(number) is not seeded")
        return prefix + String(format: "%012d", number)
    }
}

/// Hands out seeded accounts so that consecutive decisions hit different ones, as a wallet's
/// traffic does: a stride coprime with 10,000 visits every account once per 10,000 decisions,
/// each a different part of the index from the one before. Safe to share between callers.
public final class AccountRotation: Sendable {
    static let stride = 7_919  // prime, so coprime with 10,000 = 2^4 · 5^4: a full cycle
    /// Prefixes this process's idempotency keys, so a reused PostgreSQL database's earlier runs
    /// are not counted as this run's decisions.
    public let run = "bench-\(UUID().uuidString.lowercased())-"
    private let issued = Atomic<Int>(0)

    public init() {}

    /// The next decision's account and a fresh idempotency key.
    public func next() -> (account: AccountID, idempotencyKey: String) {
        let number = issued.add(1, ordering: .relaxed).oldValue
        let position = (number * Self.stride) % SeededAccounts.count
        return (AccountID(rawValue: SeededAccounts.id(position)), run + String(number))
    }

    public var handedOut: Int { issued.load(ordering: .relaxed) }

    /// Stops the run unless this run's decisions landed on as many accounts as were handed out
    /// (up to all of them).
    public func verifySpread(on database: any KefuStore.Database) async throws {
        let pattern = run + "%"
        let distinct = try await database.read { sql in
            try await sql.raw("SELECT COUNT(DISTINCT account_id) AS n FROM authorizations WHERE idempotency_key LIKE \(bind: pattern)").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
        guard distinct == min(handedOut, SeededAccounts.count) else {
            stopRun("\(handedOut) decisions landed on \(distinct) accounts, not spread over the seeded ones")
        }
    }
}

/// Writes 10,000 tier-2 accounts and `perAccount` past authorizations each, spread over the last
/// 30 days (a third of them withdrawals), into a migrated store (SQLite or PostgreSQL), and checks
/// that every account the decisions rotate through exists and carries its history. A PostgreSQL
/// database seeded before is kept as it is (seeding a million rows there takes minutes).
public func seedRiskHistory(_ database: any KefuStore.Database, perAccount: Int) async throws {
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    let accounts = SeededAccounts.count
    let total = accounts * perAccount
    let spacing = Int64(2_592_000_000 / max(perAccount, 1))
    let postgres = database.flavor == .postgres
    // Row numbers and zero-padded ids in each database's own words.
    let numbers: @Sendable (Int) -> SQLQueryString = { last in
        postgres
            ? "SELECT i FROM generate_series(0::bigint, \(bind: Int64(last))) AS n(i)"
            : "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(bind: last)) SELECT i FROM n"
    }
    let padded: @Sendable (String) -> SQLQueryString = { expression in
        postgres ? "lpad((\(unsafeRaw: expression))::text, 12, '0')" : "printf('%012d', \(unsafeRaw: expression))"
    }
    try await database.write { sql in
        if postgres, try await sql.raw("SELECT id FROM authorizations WHERE id = 'seed-0'").first() != nil { return }
        try await sql.raw(
            """
            INSERT INTO accounts (id, email, password_hash, tier, totp_enabled, created_at, updated_at)
            SELECT \(bind: SeededAccounts.prefix) || \(padded("i")), 'holder' || i || '@example.cn', 'h', 2, \(unsafeRaw: postgres ? "false" : "0"),
                \(bind: now), \(bind: now)
            FROM (\(numbers(accounts - 1))) AS numbers
            """
        ).run()
        guard total > 0 else { return }
        try await sql.raw(
            """
            INSERT INTO authorizations (id, account_id, idempotency_key, request_hash, kind, asset, amount, value_micros, outcome, code,
                status, holds, window_name, window_limit, window_used, per_transaction, cap_24h, cap_30d, created_at, updated_at)
            SELECT 'seed-' || i, \(bind: SeededAccounts.prefix) || \(padded("i % \(accounts)")), 'seed-' || i, 'h',
                CASE WHEN i % 3 = 0 THEN 'withdrawal' ELSE 'transfer' END,
                'USDT', '10', 10000000, 'approved', 'within_limits', 'approved', '[]', 'rolling_24h', 0, 0, 0, 0, 0,
                \(bind: now) - (i / \(bind: accounts)) * \(bind: spacing) - (i % \(bind: accounts)),
                \(bind: now) - (i / \(bind: accounts)) * \(bind: spacing) - (i % \(bind: accounts))
            FROM (\(numbers(total - 1))) AS numbers
            """
        ).run()
        if postgres { try await sql.raw("ANALYZE authorizations").run() }
    }
    let (seededAccounts, withHistory) = try await database.read { sql in
        let row = try await sql.raw(
            """
            SELECT (SELECT COUNT(*) FROM accounts WHERE id BETWEEN \(bind: SeededAccounts.id(0)) AND \(bind: SeededAccounts.id(accounts - 1))) AS a,
                (SELECT COUNT(DISTINCT account_id) FROM authorizations WHERE id LIKE 'seed-%') AS h
            """
        ).first()
        return (try row?.decode(column: "a", as: Int.self) ?? 0, try row?.decode(column: "h", as: Int.self) ?? 0)
    }
    guard seededAccounts == accounts, withHistory == (perAccount > 0 ? accounts : 0) else {
        stopRun("seeded \(seededAccounts) accounts, \(withHistory) with history; expected \(accounts)")
    }
}

/// One decision as the risk benchmarks make it: a one-dollar transfer, which must be approved.
public func approveOneDollar(_ store: SQLStore, account: AccountID, key: String, policy: RiskPolicy) async throws {
    let now = Date()
    let request = AuthorizationRequest(kind: .transfer, value: USD(whole: 1))
    let (authorization, _) = try await store.authorize(
        accountId: account, NewAuthorization(idempotencyKey: key, requestHash: "h", request: request, asset: "USDT", amount: "1"),
        now: now, decide: { AuthorizationRules.decide(request, activity: $0, policy: policy, now: now) })
    precondition(authorization.status == .approved)
}
