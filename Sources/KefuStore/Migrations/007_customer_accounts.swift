import Foundation

extension Schema {
    /// Wallet customers' accounts: credentials, the one-time tokens mailed to them (email
    /// verification, password reset), their sessions and their security history.
    @Sendable static func customerAccounts(_ flavor: SQLFlavor) -> [String] {
        let serial = flavor == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        return [
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
                password_hash TEXT NOT NULL,
                email_verified_at BIGINT,
                locale TEXT,
                tier INTEGER NOT NULL,
                totp_secret_sealed TEXT,
                totp_enabled BOOLEAN NOT NULL,
                totp_last_step BIGINT,
                anti_phishing_code TEXT,
                withdrawals_locked_until BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX accounts_contact ON accounts (contact_id)",
            """
            CREATE TABLE account_password_history (
                id \(serial),
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                password_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX account_password_history_account ON account_password_history (account_id, id)",
            // Mailed single-use tokens, stored as SHA-256: email verification, password reset.
            """
            CREATE TABLE account_tokens (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                purpose TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose)",
            """
            CREATE TABLE account_sessions (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                token_hash TEXT NOT NULL UNIQUE,
                user_agent TEXT,
                client_address TEXT,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
            "CREATE INDEX account_sessions_account ON account_sessions (account_id, created_at)",
            // What happened to an account's security, for the customer and the agents.
            """
            CREATE TABLE account_events (
                id \(serial),
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                detail TEXT NOT NULL,
                client_address TEXT,
                user_agent TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX account_events_account ON account_events (account_id, id)",
            // Ten single-use codes for a lost authenticator, stored as SHA-256.
            """
            CREATE TABLE account_recovery_codes (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                code_hash TEXT NOT NULL,
                used_at BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX account_recovery_codes_account ON account_recovery_codes (account_id)",
        ]
    }
}
