import Foundation
import KefuCore
import SQLKit

extension SQLStore: TwoFactorResetRepository {
    static let resetColumns = """
        id, account_id, status, reason, requested_by, conversation_id, decided_by, decided_at, applies_at, finished_at, created_at
        """

    static func twoFactorReset(from row: any SQLRow) throws -> TwoFactorReset {
        TwoFactorReset(
            id: try row.string("id"), accountId: AccountID(rawValue: try row.string("account_id")),
            status: try row.enumValue("status", as: TwoFactorReset.Status.self), reason: try row.string("reason"),
            requestedBy: AgentID(rawValue: try row.string("requested_by")),
            conversationId: try row.optionalString("conversation_id").map(ConversationID.init(rawValue:)),
            decidedBy: try row.optionalString("decided_by").map(AgentID.init(rawValue:)), decidedAt: try row.optionalDate("decided_at"),
            appliesAt: try row.optionalDate("applies_at"), finishedAt: try row.optionalDate("finished_at"), createdAt: try row.date("created_at"))
    }

    public func requestTwoFactorReset(
        accountId: AccountID, reason: String, requestedBy: AgentID, conversationId: ConversationID?, event: AccountEvent, audit: AuditEvent
    ) async throws -> TwoFactorReset {
        let reset = TwoFactorReset(
            id: UUID().uuidString.lowercased(), accountId: accountId, status: .awaitingApproval, reason: reason, requestedBy: requestedBy,
            conversationId: conversationId, createdAt: Clock.date(Clock.millis(now())))
        do {
            try await database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO two_factor_resets (id, account_id, status, reason, requested_by, conversation_id, created_at)
                    VALUES (\(bind: reset.id), \(bind: accountId.rawValue), \(bind: reset.status.rawValue), \(bind: reason),
                        \(bind: requestedBy.rawValue), \(bind: conversationId?.rawValue), \(bind: Clock.millis(reset.createdAt)))
                    """
                ).run()
                try await Self.insertAccountEvent(accountId, event, on: sql)
                try await insertAudit(audit, on: sql)
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("the account has an open 2FA reset")
        }
        return reset
    }

    public func twoFactorReset(id: String) async throws -> TwoFactorReset? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.resetColumns) FROM two_factor_resets WHERE id = \(bind: id)").first()
                .map(Self.twoFactorReset(from:))
        }
    }

    public func latestTwoFactorReset(accountId: AccountID) async throws -> TwoFactorReset? {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.resetColumns) FROM two_factor_resets WHERE account_id = \(bind: accountId.rawValue)
                ORDER BY created_at DESC, id DESC LIMIT 1
                """
            ).first().map(Self.twoFactorReset(from:))
        }
    }

    public func twoFactorResets(statuses: [TwoFactorReset.Status], limit: Int) async throws -> [TwoFactorReset] {
        guard !statuses.isEmpty else { return [] }
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.resetColumns) FROM two_factor_resets
                WHERE status IN (\(unsafeRaw: statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")))
                ORDER BY created_at, id LIMIT \(bind: limit)
                """
            ).all().map(Self.twoFactorReset(from:))
        }
    }

    public func decideTwoFactorReset(
        id: String, approve: Bool, by: AgentID, at: Date, appliesAt: Date?, event: AccountEvent, audit: AuditEvent
    ) async throws -> TwoFactorReset? {
        let now = Clock.millis(at)
        // Approval only from "awaiting approval" and never by the requester; a rejection also
        // stops a scheduled reset (a supervisor who learns more in the waiting period).
        let allowed = approve ? "status = 'awaiting_approval'" : "status IN ('awaiting_approval', 'scheduled')"
        return try await database.write { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE two_factor_resets
                    SET status = \(bind: approve ? TwoFactorReset.Status.scheduled.rawValue : TwoFactorReset.Status.rejected.rawValue),
                        decided_by = \(bind: by.rawValue), decided_at = \(bind: now),
                        applies_at = \(bind: approve ? appliesAt.map(Clock.millis) : nil),
                        finished_at = \(bind: approve ? nil : now)
                    WHERE id = \(bind: id) AND \(unsafeRaw: allowed) AND requested_by <> \(bind: by.rawValue)
                    RETURNING \(unsafeRaw: Self.resetColumns)
                    """
                ).first()
            else { return nil }
            return try await record(row, event: event, audit: audit, on: sql)
        }
    }

    public func cancelTwoFactorReset(id: String, at: Date, event: AccountEvent, audit: AuditEvent) async throws -> TwoFactorReset? {
        try await database.write { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE two_factor_resets SET status = \(bind: TwoFactorReset.Status.cancelled.rawValue), finished_at = \(bind: Clock.millis(at))
                    WHERE id = \(bind: id) AND status IN ('awaiting_approval', 'scheduled')
                    RETURNING \(unsafeRaw: Self.resetColumns)
                    """
                ).first()
            else { return nil }
            return try await record(row, event: event, audit: audit, on: sql)
        }
    }

    /// The reset a conditional UPDATE returned, with its account event and audit entry written
    /// in the same transaction.
    func record(_ row: any SQLRow, event: AccountEvent, audit: AuditEvent, on sql: any SQLDatabase) async throws -> TwoFactorReset {
        let reset = try Self.twoFactorReset(from: row)
        try await Self.insertAccountEvent(reset.accountId, event, on: sql)
        try await insertAudit(audit, on: sql)
        return reset
    }

    public func dueTwoFactorResets(now: Date, limit: Int) async throws -> [TwoFactorReset] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.resetColumns) FROM two_factor_resets
                WHERE status = 'scheduled' AND applies_at <= \(bind: Clock.millis(now))
                ORDER BY applies_at LIMIT \(bind: limit)
                """
            ).all().map(Self.twoFactorReset(from:))
        }
    }

    public func applyTwoFactorReset(
        id: String, at: Date, lockWithdrawalsUntil: Date, event: AccountEvent, audit: AuditEvent
    ) async throws -> TwoFactorReset? {
        let now = Clock.millis(at)
        return try await database.write { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE two_factor_resets SET status = \(bind: TwoFactorReset.Status.applied.rawValue), finished_at = \(bind: now)
                    WHERE id = \(bind: id) AND status = 'scheduled' AND applies_at <= \(bind: now)
                    RETURNING \(unsafeRaw: Self.resetColumns)
                    """
                ).first()
            else { return nil }
            let reset = try await record(row, event: event, audit: audit, on: sql)
            try await Self.turnOffTOTP(reset.accountId, at: now, on: sql)
            try await Self.endSessions(reset.accountId, except: nil, at: now, on: sql)
            try await Self.extendWithdrawalLock(reset.accountId, until: lockWithdrawalsUntil, on: sql)
            return reset
        }
    }
}
