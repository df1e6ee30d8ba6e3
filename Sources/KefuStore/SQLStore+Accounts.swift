import Foundation
import KefuCore
import SQLKit

extension SQLStore: AccountRepository {
    static let accountColumns = """
        id, email, contact_id, password_hash, email_verified_at, locale, tier, totp_secret_sealed, totp_enabled, totp_last_step,
        anti_phishing_code, withdrawals_locked_until, country, created_at
        """

    static func account(from row: any SQLRow) throws -> Account {
        Account(
            id: AccountID(rawValue: try row.string("id")), email: try row.string("email"),
            emailVerified: try row.decode(column: "email_verified_at", as: Int64?.self) != nil,
            contactId: try row.optionalString("contact_id").map(ContactID.init(rawValue:)), locale: try row.optionalString("locale"),
            tier: try row.decode(column: "tier", as: Int.self), country: try row.optionalString("country"), totpEnabled: try row.bool("totp_enabled"),
            antiPhishingCode: try row.optionalString("anti_phishing_code"),
            withdrawalsLockedUntil: try row.decode(column: "withdrawals_locked_until", as: Int64?.self).map(Clock.date),
            createdAt: try row.date("created_at"))
    }

    static func accountCredentials(from row: any SQLRow) throws -> AccountCredentials {
        AccountCredentials(
            passwordHash: try row.string("password_hash"), sealedTOTPSecret: try row.optionalString("totp_secret_sealed"),
            lastTOTPStep: try row.decode(column: "totp_last_step", as: Int64?.self))
    }

    static func insertAccountEvent(_ accountId: AccountID, _ event: AccountEvent, on sql: any SQLDatabase) async throws {
        let detail = String(decoding: try JSONEncoder.sorted.encode(event.detail), as: UTF8.self)
        try await sql.raw(
            """
            INSERT INTO account_events (account_id, kind, detail, client_address, user_agent, created_at)
            VALUES (\(bind: accountId.rawValue), \(bind: event.kind.rawValue), \(bind: detail), \(bind: event.clientAddress),
                \(bind: event.userAgent.map { String($0.prefix(300)) }), \(bind: Clock.millis(event.createdAt)))
            """
        ).run()
        // The event itself travels in the journal (accounts keep no id per event).
        var journalDetail = event.detail
        journalDetail["kind"] = event.kind.rawValue
        if let address = event.clientAddress { journalDetail["clientAddress"] = address }
        try await journal(.accountSecurityEvent, subject: accountId.rawValue, inbox: nil, detail: journalDetail, at: Clock.millis(event.createdAt), on: sql)
    }

    public func createAccount(email: String, passwordHash: String, locale: String?, event: AccountEvent) async throws -> Account {
        let address = EmailAddress.normalize(email)
        let id = AccountID.generate()
        let at = Clock.millis(now())
        do {
            return try await database.write { sql in
                var contactId: String
                if let row = try await sql.raw("SELECT id FROM contacts WHERE email = \(bind: address)").first() {
                    contactId = try row.string("id")
                } else {
                    contactId = ContactID.generate().rawValue
                    try await sql.raw(
                        """
                        INSERT INTO contacts (id, name, email, locale, created_at, updated_at)
                        VALUES (\(bind: contactId), NULL, \(bind: address), \(bind: locale), \(bind: at), \(bind: at))
                        """
                    ).run()
                }
                try await sql.raw(
                    """
                    INSERT INTO accounts (id, email, contact_id, password_hash, locale, tier, totp_enabled, created_at, updated_at)
                    VALUES (\(bind: id.rawValue), \(bind: address), \(bind: contactId), \(bind: passwordHash), \(bind: locale), 0, \(false),
                        \(bind: at), \(bind: at))
                    """
                ).run()
                try await Self.insertAccountEvent(id, event, on: sql)
                guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE id = \(bind: id.rawValue)").first()
                else { throw StoreError.notFound("account") }
                return try Self.account(from: row)
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("an account with this email exists")
        }
    }

    public func account(id: AccountID) async throws -> Account? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE id = \(bind: id.rawValue)").first().map(Self.account(from:))
        }
    }

    public func account(contactId: ContactID) async throws -> Account? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE contact_id = \(bind: contactId.rawValue)").first()
                .map(Self.account(from:))
        }
    }

    public func accountCredentials(email: String) async throws -> (Account, AccountCredentials)? {
        let address = EmailAddress.normalize(email)
        return try await database.read { sql in
            guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE email = \(bind: address)").first()
            else { return nil }
            return (try Self.account(from: row), try Self.accountCredentials(from: row))
        }
    }

    public func accountCredentials(id: AccountID) async throws -> (Account, AccountCredentials)? {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE id = \(bind: id.rawValue)").first()
            else { return nil }
            return (try Self.account(from: row), try Self.accountCredentials(from: row))
        }
    }

    public func passwordHistory(accountId: AccountID, limit: Int) async throws -> [String] {
        try await database.read { sql in
            var hashes: [String] = []
            if let current = try await sql.raw("SELECT password_hash FROM accounts WHERE id = \(bind: accountId.rawValue)").first() {
                hashes.append(try current.string("password_hash"))
            }
            let earlier = try await sql.raw(
                """
                SELECT password_hash FROM account_password_history WHERE account_id = \(bind: accountId.rawValue)
                ORDER BY id DESC LIMIT \(bind: max(limit - 1, 0))
                """
            ).all().map { try $0.string("password_hash") }
            return hashes + earlier
        }
    }

    public func setAccountPassword(
        accountId: AccountID, passwordHash: String, revokeSessions: Bool, lockWithdrawalsUntil: Date?, event: AccountEvent
    ) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT password_hash FROM accounts WHERE id = \(bind: accountId.rawValue)").first()
            else { throw StoreError.notFound("account") }
            try await sql.raw(
                """
                INSERT INTO account_password_history (account_id, password_hash, created_at)
                VALUES (\(bind: accountId.rawValue), \(bind: try row.string("password_hash")), \(bind: at))
                """
            ).run()
            try await sql.raw(
                "UPDATE accounts SET password_hash = \(bind: passwordHash), updated_at = \(bind: at) WHERE id = \(bind: accountId.rawValue)"
            ).run()
            if let lockWithdrawalsUntil { try await Self.extendWithdrawalLock(accountId, until: lockWithdrawalsUntil, on: sql) }
            if revokeSessions { try await Self.endSessions(accountId, except: nil, at: at, on: sql) }
            try await Self.insertAccountEvent(accountId, event, on: sql)
        }
    }

    public func markAccountEmailVerified(accountId: AccountID, event: AccountEvent) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, \(bind: at)), updated_at = \(bind: at)
                WHERE id = \(bind: accountId.rawValue)
                """
            ).run()
            try await Self.insertAccountEvent(accountId, event, on: sql)
        }
    }

    public func createAccountToken(accountId: AccountID, purpose: AccountTokenPurpose, tokenHash: String, expiresAt: Date, payload: String?) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE account_tokens SET expires_at = \(bind: at)
                WHERE account_id = \(bind: accountId.rawValue) AND purpose = \(bind: purpose.rawValue) AND used_at IS NULL AND expires_at > \(bind: at)
                """
            ).run()
            try await sql.raw(
                """
                INSERT INTO account_tokens (id, account_id, purpose, token_hash, expires_at, created_at, payload)
                VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: accountId.rawValue), \(bind: purpose.rawValue), \(bind: tokenHash),
                    \(bind: Clock.millis(expiresAt)), \(bind: at), \(bind: payload))
                """
            ).run()
        }
    }

    public func accountForToken(purpose: AccountTokenPurpose, tokenHash: String) async throws -> AccountID? {
        let at = Clock.millis(now())
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT account_id FROM account_tokens
                WHERE token_hash = \(bind: tokenHash) AND purpose = \(bind: purpose.rawValue) AND used_at IS NULL AND expires_at > \(bind: at)
                """
            ).first().map { AccountID(rawValue: try $0.string("account_id")) }
        }
    }

    public func consumeAccountToken(purpose: AccountTokenPurpose, tokenHash: String) async throws -> AccountID? {
        try await consumeAccountTokenPayload(purpose: purpose, tokenHash: tokenHash)?.0
    }

    public func consumeAccountTokenPayload(purpose: AccountTokenPurpose, tokenHash: String) async throws -> (AccountID, String?)? {
        let at = Clock.millis(now())
        return try await database.write { sql in
            // One conditional UPDATE: of any number of parallel callers exactly one sees the row.
            try await sql.raw(
                """
                UPDATE account_tokens SET used_at = \(bind: at)
                WHERE token_hash = \(bind: tokenHash) AND purpose = \(bind: purpose.rawValue) AND used_at IS NULL AND expires_at > \(bind: at)
                RETURNING account_id, payload
                """
            ).first().map { (AccountID(rawValue: try $0.string("account_id")), try $0.optionalString("payload")) }
        }
    }

    public func changeAccountEmail(accountId: AccountID, email: String, lockWithdrawalsUntil: Date, event: AccountEvent) async throws {
        let address = EmailAddress.normalize(email)
        let at = Clock.millis(now())
        do {
            try await database.write { sql in
                guard
                    let row = try await sql.raw(
                        """
                        UPDATE accounts SET email = \(bind: address), email_verified_at = \(bind: at), updated_at = \(bind: at)
                        WHERE id = \(bind: accountId.rawValue) RETURNING contact_id
                        """
                    ).first()
                else { throw StoreError.notFound("account") }
                try await Self.extendWithdrawalLock(accountId, until: lockWithdrawalsUntil, on: sql)
                if let contact = try row.optionalString("contact_id"),
                    try await sql.raw("SELECT id FROM contacts WHERE email = \(bind: address)").first() == nil
                {
                    try await sql.raw("UPDATE contacts SET email = \(bind: address), updated_at = \(bind: at) WHERE id = \(bind: contact)").run()
                }
                try await Self.insertAccountEvent(accountId, event, on: sql)
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("an account with this email exists")
        }
    }

    public func lockWithdrawals(accountId: AccountID, until: Date, event: AccountEvent) async throws {
        try await database.write { sql in
            try await Self.extendWithdrawalLock(accountId, until: until, on: sql)
            try await Self.insertAccountEvent(accountId, event, on: sql)
        }
    }

    /// Blocks withdrawals until `until`, inside the caller's transaction. A lock only ever
    /// extends: a later, shorter one never shortens an earlier, longer one.
    static func extendWithdrawalLock(_ accountId: AccountID, until: Date, on sql: any SQLDatabase) async throws {
        let lock = Clock.millis(until)
        try await sql.raw(
            """
            UPDATE accounts SET withdrawals_locked_until = \(bind: lock)
            WHERE id = \(bind: accountId.rawValue) AND (withdrawals_locked_until IS NULL OR withdrawals_locked_until < \(bind: lock))
            """
        ).run()
    }

    public func setAntiPhishingCode(accountId: AccountID, code: String?, event: AccountEvent) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                "UPDATE accounts SET anti_phishing_code = \(bind: code), updated_at = \(bind: at) WHERE id = \(bind: accountId.rawValue)"
            ).run()
            try await Self.insertAccountEvent(accountId, event, on: sql)
        }
    }
}
