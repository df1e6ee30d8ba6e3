import BenchSupport
import Foundation
import KefuCore
import KefuStore
import Logging
import SQLKit

/// Limit decisions with 1 and 64 callers over 10,000 accounts and 1,000,000 past authorizations
/// (issue 17's target), beside the raw insert in the same database and run. Each decision is a
/// one-dollar transfer that must be approved; afterwards every decision is counted in the
/// database and must have landed on its own account in the rotation.
func decisionCases(on target: LoadTarget, total: Int, perAccount: Int, logger: Logger) async throws {
    print("decisions: \(target)")
    try await target.with(logger: logger) { database in
        let seeding = ContinuousClock.now
        try await seedRiskHistory(database, perAccount: perAccount)
        print("seeded \(SeededAccounts.count) accounts with \(SeededAccounts.count * perAccount) past authorizations in \(ContinuousClock.now - seeding)")
        let store = SQLStore(database: database)
        let policy = RiskPolicy.standard
        for callers in [1, 64] {
            let run = "load-\(UUID().uuidString.lowercased())-"
            let before = statistics(database)
            let raw = try await measure(callers: callers, total: total) { _, index in try await rawInsert(database, run: run, index: index) }
            report("raw INSERT (baseline)", callers, raw, baseline: nil, database: database, since: before)
            // The decision's own INSERT alone (same table, same indexes, same rotation over the
            // accounts): what SQLite's b-trees cost before any of Kefu's reads and rules.
            let shapeRotation = AccountRotation()
            let beforeShape = statistics(database)
            let sameShape = try await measure(callers: callers, total: total) { _, _ in
                let (account, key) = shapeRotation.next()
                try await database.write { sql in
                    try await sql.raw(
                        """
                        INSERT INTO authorizations (id, account_id, idempotency_key, request_hash, kind, asset, amount, value_micros, outcome,
                            code, status, holds, window_name, window_limit, window_used, per_transaction, cap_24h, cap_30d, created_at, updated_at)
                        VALUES (\(bind: TimeOrderedUUID.make()), \(bind: account.rawValue), \(bind: key), 'h', 'transfer', 'USDT', '1',
                            1000000, 'approved', 'within_limits', 'approved', '[]', 'rolling_24h', 0, 0, 0, 0, 0,
                            \(bind: Int64(Date().timeIntervalSince1970 * 1000)), \(bind: Int64(Date().timeIntervalSince1970 * 1000)))
                        """
                    ).run()
                }
            }
            report("the decision's INSERT alone (same table and indexes)", callers, sameShape, baseline: raw, database: database, since: beforeShape)
            let afterRaw = statistics(database)
            let rotation = AccountRotation()
            let decisions = try await measure(callers: callers, total: total) { _, _ in
                let (account, key) = rotation.next()
                try await approveOneDollar(store, account: account, key: key, policy: policy)
            }
            report("limit decision (approved)", callers, decisions, baseline: raw, database: database, since: afterRaw)
            try await rotation.verifySpread(on: database)
            let pattern = rotation.run + "%"
            let stored = try await count(
                database, "SELECT COUNT(*) AS n FROM authorizations WHERE idempotency_key LIKE \(bind: pattern) AND status = 'approved'")
            guard stored == total else { stopRun("acknowledged \(total) decisions; the database holds \(stored)") }
        }
    }
}
