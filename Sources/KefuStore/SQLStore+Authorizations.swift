import Foundation
import KefuCore
import SQLKit

extension SQLStore: AuthorizationRepository {
    static let authorizationColumns = """
        id, account_id, idempotency_key, request_hash, kind, asset, amount, value_micros, destination, country, outcome, code, status, holds,
        window_name, window_limit, window_used, per_transaction, cap_24h, cap_30d, retry_at, created_at, updated_at
        """

    static func authorization(from row: any SQLRow) throws -> Authorization {
        let holds = Self.holds(fromColumn: try row.string("holds"))
        let decision = Decision(
            outcome: try row.enumValue("outcome", as: DecisionOutcome.self), code: try row.enumValue("code", as: DecisionCode.self),
            tightest: WindowUsage(
                window: try row.enumValue("window_name", as: LimitWindow.self), limit: USD(micros: try row.int64("window_limit")),
                used: USD(micros: try row.int64("window_used"))),
            caps: KindLimits(
                perTransaction: USD(micros: try row.int64("per_transaction")), rolling24h: USD(micros: try row.int64("cap_24h")),
                rolling30d: USD(micros: try row.int64("cap_30d"))),
            holds: holds)
        return Authorization(
            id: try row.string("id"), accountId: AccountID(rawValue: try row.string("account_id")), idempotencyKey: try row.string("idempotency_key"),
            kind: try row.enumValue("kind", as: MovementKind.self), asset: try row.string("asset"), amount: try row.string("amount"),
            value: USD(micros: try row.int64("value_micros")), destination: try row.optionalString("destination"),
            country: try row.optionalString("country"), decision: decision, status: try row.enumValue("status", as: AuthorizationStatus.self),
            retryAt: try row.optionalDate("retry_at"), createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }

    /// Hold codes as a JSON array of strings. The codes are `[a-z_]` only, so the array is
    /// written and read by hand: a JSON coder per row cost more than the rest of reading it (the
    /// holds page and the limits panel read up to 200 rows).
    static func holdsColumn(_ holds: [DecisionCode]) -> String {
        "[" + holds.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]"
    }

    static func holds(fromColumn text: String) -> [DecisionCode] {
        text.split(whereSeparator: { "[],\" ".contains($0) }).compactMap { DecisionCode(rawValue: String($0)) }
    }

    static let countedStatuses = AuthorizationStatus.counted.map { "'\($0.rawValue)'" }.joined(separator: ", ")

    public func authorize(
        accountId: AccountID, _ new: NewAuthorization, now: Date, decide: @Sendable (AccountActivity) -> Decision
    ) async throws -> (authorization: Authorization, replayed: Bool) {
        let flavor = self.flavor
        return try await database.write { sql in
            // One decision at a time per account. SQLite's write transactions are serialized
            // already; PostgreSQL locks the account row until commit, first and in a statement of
            // its own, so that every later statement (each with a fresh snapshot under READ
            // COMMITTED) sees what the transactions before it committed.
            if flavor == .postgres {
                guard try await sql.raw("SELECT id FROM accounts WHERE id = \(bind: accountId.rawValue) FOR UPDATE").first() != nil else {
                    throw StoreError.notFound("account")
                }
            }
            // The account, its latest new-device sign-in and an earlier use of this key, in one
            // statement: each statement is a round trip to the database's thread.
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: Self.accountColumns), \(unsafeRaw: Self.newDeviceColumn),
                        (SELECT id FROM authorizations WHERE account_id = accounts.id AND idempotency_key = \(bind: new.idempotencyKey)) AS earlier_id
                    FROM accounts WHERE id = \(bind: accountId.rawValue)
                    """
                ).first()
            else { throw StoreError.notFound("account") }
            if let earlier = try row.optionalString("earlier_id"),
                let first = try await sql.raw("SELECT \(unsafeRaw: Self.authorizationColumns) FROM authorizations WHERE id = \(bind: earlier)").first()
            {
                guard try first.string("request_hash") == new.requestHash else {
                    throw StoreError.conflict("the idempotency key was used for another request")
                }
                return (try Self.authorization(from: first), true)
            }
            let request = new.request
            let activity = try await Self.activity(accountRow: row, kind: request.kind, destination: request.destination, now: now, on: sql)
            let decision = decide(activity)
            var retryAt: Date?
            if decision.outcome == .denied, decision.refusedBy != nil {
                retryAt =
                    decision.code == .tooManyWithdrawals
                    ? AuthorizationRules.retryAt(
                        withdrawalTimes: try await Self.counted(accountId, kind: .withdrawal, since: now.addingTimeInterval(-LimitWindow.rolling24h.length), on: sql)
                            .map(\.at),
                        maxCount: decision.withdrawalsPer24h)
                    : AuthorizationRules.retryAt(
                        entries: try await Self.counted(accountId, kind: request.kind, since: now.addingTimeInterval(-LimitWindow.rolling30d.length), on: sql),
                        caps: decision.caps, value: request.value, now: now)
            }
            let at = Clock.millis(now)
            let id = TimeOrderedUUID.make(at: now)
            let status = AuthorizationStatus(decision.outcome)
            let holds = Self.holdsColumn(decision.holds)
            try await sql.raw(
                """
                INSERT INTO authorizations (\(unsafeRaw: Self.authorizationColumns))
                VALUES (\(bind: id), \(bind: accountId.rawValue), \(bind: new.idempotencyKey), \(bind: new.requestHash), \(bind: request.kind.rawValue),
                    \(bind: new.asset), \(bind: new.amount), \(bind: request.value.micros), \(bind: request.destination), \(bind: request.country),
                    \(bind: decision.outcome.rawValue), \(bind: decision.code.rawValue), \(bind: status.rawValue), \(bind: holds),
                    \(bind: decision.tightest.window.rawValue), \(bind: decision.tightest.limit.micros), \(bind: decision.tightest.used.micros),
                    \(bind: decision.caps.perTransaction.micros), \(bind: decision.caps.rolling24h.micros), \(bind: decision.caps.rolling30d.micros),
                    \(bind: retryAt.map(Clock.millis)), \(bind: at), \(bind: at))
                """
            ).run()
            if status == .held { try await Self.journal(.authorizationHeld, subject: id, inbox: nil, at: at, on: sql) }
            let stored = Authorization(
                id: id, accountId: accountId, idempotencyKey: new.idempotencyKey, kind: request.kind, asset: new.asset, amount: new.amount,
                value: request.value, destination: request.destination, country: request.country, decision: decision, status: status,
                retryAt: retryAt, createdAt: Clock.date(at), updatedAt: Clock.date(at))
            return (stored, false)
        }
    }

    /// The account's latest sign-in from a new device, read along with the account's row.
    static let newDeviceColumn =
        "(SELECT MAX(created_at) FROM account_events WHERE account_id = accounts.id AND kind = 'new_device') AS new_device_at"

    /// Where a window opens at `now`, in stored milliseconds: a movement counts while it is later.
    static func windowOpens(_ window: LimitWindow, now: Date) -> Int64 {
        Clock.millis(now) - Int64(window.length * 1000)
    }

    /// The account's counted movements as a decision sees them, from a row of `accountColumns`
    /// and `newDeviceColumn`. A movement at `t` counts in a window while `now - t` is less than
    /// the window's length: at exactly `t + 24h` it frees.
    static func activity(
        accountRow: any SQLRow, kind: MovementKind, destination: String?, now: Date, on sql: any SQLDatabase
    ) async throws -> AccountActivity {
        let account = try Self.account(from: accountRow)
        let lastNewDeviceAt = try accountRow.decode(column: "new_device_at", as: Int64?.self).map(Clock.date)
        let (day, month) = (windowOpens(.rolling24h, now: now), windowOpens(.rolling30d, now: now))
        let hour = Clock.millis(now) - 3_600_000
        let row = try await sql.raw(
            """
            SELECT
                CAST(COALESCE(SUM(CASE WHEN kind = \(bind: kind.rawValue) AND created_at > \(bind: day) THEN value_micros ELSE 0 END), 0) AS BIGINT) AS used_day,
                CAST(COALESCE(SUM(CASE WHEN kind = \(bind: kind.rawValue) THEN value_micros ELSE 0 END), 0) AS BIGINT) AS used_month,
                CAST(COALESCE(SUM(CASE WHEN kind = 'withdrawal' AND created_at > \(bind: day) THEN 1 ELSE 0 END), 0) AS BIGINT) AS withdrawals_day,
                CAST(COALESCE(SUM(CASE WHEN kind = 'withdrawal' AND created_at > \(bind: hour) THEN 1 ELSE 0 END), 0) AS BIGINT) AS withdrawals_hour
            FROM authorizations
            WHERE account_id = \(bind: account.id.rawValue) AND status IN (\(unsafeRaw: countedStatuses)) AND created_at > \(bind: month)
            """
        ).first()
        var known = false
        if let destination {
            known =
                try await sql.raw(
                    """
                    SELECT id FROM authorizations
                    WHERE account_id = \(bind: account.id.rawValue) AND destination = \(bind: destination) AND kind = 'withdrawal'
                        AND status IN ('approved', 'released')
                    LIMIT 1
                    """
                ).first() != nil
        }
        return AccountActivity(
            tier: account.tier, verifiedCountry: account.country, withdrawalsLockedUntil: account.withdrawalsLockedUntil,
            lastNewDeviceAt: lastNewDeviceAt, used24h: USD(micros: try row?.int64("used_day") ?? 0),
            used30d: USD(micros: try row?.int64("used_month") ?? 0), withdrawals24h: Int(try row?.int64("withdrawals_day") ?? 0),
            withdrawalsLastHour: Int(try row?.int64("withdrawals_hour") ?? 0), knownDestination: known)
    }

    /// The account's counted movements of a kind since a moment (time, value).
    static func counted(_ accountId: AccountID, kind: MovementKind, since: Date, on sql: any SQLDatabase) async throws -> [(at: Date, value: USD)] {
        try await sql.raw(
            """
            SELECT created_at, value_micros FROM authorizations
            WHERE account_id = \(bind: accountId.rawValue) AND kind = \(bind: kind.rawValue) AND status IN (\(unsafeRaw: countedStatuses))
                AND created_at > \(bind: Clock.millis(since))
            """
        ).all().map { (at: try $0.date("created_at"), value: USD(micros: try $0.int64("value_micros"))) }
    }

    public func authorization(id: String) async throws -> Authorization? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.authorizationColumns) FROM authorizations WHERE id = \(bind: id)").first()
                .map(Self.authorization(from:))
        }
    }

    public func voidAuthorization(id: String, accountId: AccountID, at: Date, audit: AuditEvent) async throws -> Authorization? {
        try await database.write { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE authorizations SET status = 'voided', updated_at = \(bind: Clock.millis(at))
                    WHERE id = \(bind: id) AND account_id = \(bind: accountId.rawValue) AND status IN (\(unsafeRaw: Self.countedStatuses))
                    RETURNING \(unsafeRaw: Self.authorizationColumns)
                    """
                ).first()
            else { return nil }
            try await insertAudit(audit, on: sql)
            return try Self.authorization(from: row)
        }
    }

    public func accountActivity(accountId: AccountID, kind: MovementKind, destination: String?, now: Date) async throws -> AccountActivity? {
        try await database.read { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: Self.accountColumns), \(unsafeRaw: Self.newDeviceColumn) FROM accounts WHERE id = \(bind: accountId.rawValue)
                    """
                ).first()
            else { return nil }
            return try await Self.activity(accountRow: row, kind: kind, destination: destination, now: now, on: sql)
        }
    }

    public func updateAccountVerification(accountId: AccountID, tier: Int?, country: String??, audit: AuditEvent) async throws -> Account {
        try await database.write { sql in
            let at = Clock.millis(now())
            if let tier {
                try await sql.raw("UPDATE accounts SET tier = \(bind: tier), updated_at = \(bind: at) WHERE id = \(bind: accountId.rawValue)").run()
            }
            if let country {
                try await sql.raw("UPDATE accounts SET country = \(bind: country), updated_at = \(bind: at) WHERE id = \(bind: accountId.rawValue)").run()
            }
            guard
                let account = try await sql.raw("SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE id = \(bind: accountId.rawValue)")
                    .first().map(Self.account(from:))
            else { throw StoreError.notFound("account") }
            try await insertAudit(audit, on: sql)
            return account
        }
    }
}

extension SQLStore {
    public func windowStarts(accountId: AccountID, now: Date) async throws -> [MovementKind: WindowStarts] {
        let (day, month) = (Self.windowOpens(.rolling24h, now: now), Self.windowOpens(.rolling30d, now: now))
        return try await database.read { sql in
            var starts: [MovementKind: WindowStarts] = [:]
            for row in try await sql.raw(
                """
                SELECT kind, MIN(CASE WHEN created_at > \(bind: day) THEN created_at END) AS oldest_day, MIN(created_at) AS oldest_month
                FROM authorizations
                WHERE account_id = \(bind: accountId.rawValue) AND status IN (\(unsafeRaw: Self.countedStatuses)) AND created_at > \(bind: month)
                GROUP BY kind
                """
            ).all() {
                starts[try row.enumValue("kind", as: MovementKind.self)] = WindowStarts(
                    oldest24h: try row.decode(column: "oldest_day", as: Int64?.self).map(Clock.date), oldest30d: try row.date("oldest_month"))
            }
            return starts
        }
    }

    public func heldAuthorizations(accountId: AccountID?, limit: Int) async throws -> [Authorization] {
        let ofAccount: SQLQueryString = accountId.map { "AND account_id = \(bind: $0.rawValue)" } ?? ""
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.authorizationColumns) FROM authorizations
                WHERE status = 'held' \(ofAccount) ORDER BY created_at LIMIT \(bind: limit)
                """
            ).all().map(Self.authorization(from:))
        }
    }

    public func authorizations(accountId: AccountID, limit: Int) async throws -> [Authorization] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.authorizationColumns) FROM authorizations WHERE account_id = \(bind: accountId.rawValue)
                ORDER BY created_at DESC LIMIT \(bind: limit)
                """
            ).all().map(Self.authorization(from:))
        }
    }

    public func holdReviews(authorizationId: String) async throws -> [HoldReview] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT id, authorization_id, agent_id, action, note, created_at FROM hold_reviews
                WHERE authorization_id = \(bind: authorizationId) ORDER BY created_at, id
                """
            ).all().map {
                HoldReview(
                    id: try $0.string("id"), authorizationId: try $0.string("authorization_id"), agentId: AgentID(rawValue: try $0.string("agent_id")),
                    action: try $0.enumValue("action", as: HoldAction.self), note: try $0.string("note"), createdAt: try $0.date("created_at"))
            }
        }
    }

    public func reviewHold(
        id: String, by agent: AgentID, release: Bool, note: String, twoPersonFrom: USD?, at: Date, audit: AuditEvent
    ) async throws -> HoldOutcome {
        let flavor = self.flavor
        let millis = Clock.millis(at)
        return try await database.write { sql in
            let lock = flavor == .postgres ? " FOR UPDATE" : ""
            guard
                let row = try await sql.raw(
                    "SELECT \(unsafeRaw: Self.authorizationColumns) FROM authorizations WHERE id = \(bind: id) AND status = 'held'\(unsafeRaw: lock)"
                ).first()
            else { return .notHeld }
            let held = try Self.authorization(from: row)
            func record(_ action: HoldAction, firstApprover: AgentID? = nil) async throws {
                try await sql.raw(
                    """
                    INSERT INTO hold_reviews (id, authorization_id, agent_id, action, note, created_at)
                    VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: id), \(bind: agent.rawValue), \(bind: action.rawValue), \(bind: note), \(bind: millis))
                    """
                ).run()
                // The audit names the step actually taken (the caller cannot know it beforehand).
                var entry = audit
                entry.action = "authorization.hold_\(action.rawValue)"
                entry.detail["note"] = note
                // A two-person release names both people: the audit view shows them together.
                if let firstApprover { entry.detail["first_approver"] = firstApprover.rawValue }
                try await insertAudit(entry, on: sql)
            }
            func finish(_ status: AuthorizationStatus) async throws -> Authorization {
                let updated = try await sql.raw(
                    """
                    UPDATE authorizations SET status = \(bind: status.rawValue), updated_at = \(bind: millis)
                    WHERE id = \(bind: id) RETURNING \(unsafeRaw: Self.authorizationColumns)
                    """
                ).first()
                let event: OutboundEventType = status == .released ? .authorizationReleased : .authorizationRejected
                try await Self.journal(event, subject: id, inbox: nil, at: millis, on: sql)
                return try updated.map(Self.authorization(from:)) ?? held
            }
            if !release {
                try await record(.reject)
                return .rejected(try await finish(.rejected))
            }
            var firstApprover: AgentID?
            if let from = twoPersonFrom, held.value >= from {
                let approvers = try await sql.raw(
                    "SELECT agent_id FROM hold_reviews WHERE authorization_id = \(bind: id) AND action = 'approve'"
                ).all().map { AgentID(rawValue: try $0.string("agent_id")) }
                if approvers.contains(agent) { return .sameApprover }
                if approvers.isEmpty {
                    try await record(.approve)
                    return .awaitingSecondApproval(held)
                }
                firstApprover = approvers.first
            }
            try await record(.release, firstApprover: firstApprover)
            return .released(try await finish(.released))
        }
    }
}

extension SQLStore: ServiceTokenRepository {
    public func createServiceToken(name: String, scope: String, inboxId: InboxID?, tokenHash: String, audit: AuditEvent) async throws -> ServiceToken {
        let token = ServiceToken(id: UUID().uuidString.lowercased(), name: name, scope: scope, inboxId: inboxId)
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO service_tokens (id, name, scope, inbox_id, token_hash, created_at)
                VALUES (\(bind: token.id), \(bind: name), \(bind: scope), \(bind: inboxId?.rawValue), \(bind: tokenHash), \(bind: Clock.millis(now())))
                """
            ).run()
            try await insertAudit(audit, on: sql)
        }
        return token
    }

    public func serviceToken(tokenHash: String) async throws -> ServiceToken? {
        try await database.read { sql in
            try await sql.raw(
                "SELECT id, name, scope, inbox_id FROM service_tokens WHERE token_hash = \(bind: tokenHash) AND revoked_at IS NULL"
            ).first().map {
                ServiceToken(
                    id: try $0.string("id"), name: try $0.string("name"), scope: try $0.string("scope"),
                    inboxId: try $0.optionalString("inbox_id").map(InboxID.init(rawValue:)))
            }
        }
    }
}
