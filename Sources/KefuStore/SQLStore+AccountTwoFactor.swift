import Foundation
import KefuCore
import SQLKit

/// Customers' TOTP second factor and recovery codes: every use claimed in one conditional statement.
extension SQLStore {
    public func startAccountTOTP(accountId: AccountID, sealedSecret: String) async throws -> Bool {
        let at = Clock.millis(now())
        return try await database.write { sql in
            try await sql.raw(
                """
                UPDATE accounts SET totp_secret_sealed = \(bind: sealedSecret), totp_last_step = NULL, updated_at = \(bind: at)
                WHERE id = \(bind: accountId.rawValue) AND totp_enabled = \(false) RETURNING id
                """
            ).first() != nil
        }
    }

    public func enableAccountTOTP(
        accountId: AccountID, step: Int64, recoveryCodeHashes: [String], lockWithdrawalsUntil: Date, event: AccountEvent
    ) async throws -> Bool {
        let at = Clock.millis(now())
        return try await database.write { sql in
            guard
                try await sql.raw(
                    """
                    UPDATE accounts SET totp_enabled = \(true), totp_last_step = \(bind: step), updated_at = \(bind: at)
                    WHERE id = \(bind: accountId.rawValue) AND totp_enabled = \(false) AND totp_secret_sealed IS NOT NULL RETURNING id
                    """
                ).first() != nil
            else { return false }
            try await Self.extendWithdrawalLock(accountId, until: lockWithdrawalsUntil, on: sql)
            try await sql.raw("DELETE FROM account_recovery_codes WHERE account_id = \(bind: accountId.rawValue)").run()
            for hash in recoveryCodeHashes {
                try await sql.raw(
                    """
                    INSERT INTO account_recovery_codes (id, account_id, code_hash, created_at)
                    VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: accountId.rawValue), \(bind: hash), \(bind: at))
                    """
                ).run()
            }
            try await Self.insertAccountEvent(accountId, event, on: sql)
            return true
        }
    }

    public func disableAccountTOTP(accountId: AccountID, lockWithdrawalsUntil: Date, event: AccountEvent) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await Self.turnOffTOTP(accountId, at: at, on: sql)
            try await Self.extendWithdrawalLock(accountId, until: lockWithdrawalsUntil, on: sql)
            try await Self.insertAccountEvent(accountId, event, on: sql)
        }
    }

    /// 2FA off: the secret, the last step and the recovery codes go (a later enrolment starts clean).
    static func turnOffTOTP(_ accountId: AccountID, at: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE accounts SET totp_enabled = \(false), totp_secret_sealed = NULL, totp_last_step = NULL, updated_at = \(bind: at)
            WHERE id = \(bind: accountId.rawValue)
            """
        ).run()
        try await sql.raw("DELETE FROM account_recovery_codes WHERE account_id = \(bind: accountId.rawValue)").run()
    }

    public func claimAccountTOTPStep(accountId: AccountID, step: Int64) async throws -> Bool {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE accounts SET totp_last_step = \(bind: step)
                WHERE id = \(bind: accountId.rawValue) AND totp_enabled = \(true) AND (totp_last_step IS NULL OR totp_last_step < \(bind: step))
                RETURNING id
                """
            ).first() != nil
        }
    }

    public func consumeRecoveryCode(accountId: AccountID, codeHash: String) async throws -> Bool {
        let at = Clock.millis(now())
        return try await database.write { sql in
            try await sql.raw(
                """
                UPDATE account_recovery_codes SET used_at = \(bind: at)
                WHERE account_id = \(bind: accountId.rawValue) AND code_hash = \(bind: codeHash) AND used_at IS NULL RETURNING id
                """
            ).first() != nil
        }
    }

    public func remainingRecoveryCodes(accountId: AccountID) async throws -> Int {
        try await database.read { sql in
            try await sql.raw(
                "SELECT COUNT(*) AS n FROM account_recovery_codes WHERE account_id = \(bind: accountId.rawValue) AND used_at IS NULL"
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
