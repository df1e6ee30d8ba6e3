/// Every migration Kefu has released, oldest first. Append new ones; never edit one in place.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "foundation", statements: foundation),
        Migration(version: 2, name: "widget_sessions", statements: widgetSessions),
        Migration(version: 3, name: "canned_replies", statements: cannedReplies),
        Migration(version: 4, name: "prechat_forms_and_avatars", statements: prechatFormsAndAvatars),
        Migration(version: 5, name: "email_channel", statements: emailChannel),
        Migration(version: 6, name: "email_codes", statements: emailCodes),
        Migration(version: 7, name: "customer_accounts", statements: customerAccounts),
        Migration(version: 8, name: "account_token_payload", statements: accountTokenPayload),
        Migration(version: 9, name: "two_factor_resets", statements: twoFactorResets),
        Migration(version: 10, name: "authorizations", statements: authorizations),
    ]

    /// The limits and risk engine: every decision Kefu made about moving money (amounts in
    /// micro-dollars, so SUM is exact in both databases), the account's verified country, and the
    /// tokens services such as the wallet's backend call with.
    @Sendable static func authorizations(_ flavor: SQLFlavor) -> [String] {
        [
            "ALTER TABLE accounts ADD COLUMN country TEXT",
            """
            CREATE TABLE authorizations (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                idempotency_key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                kind TEXT NOT NULL,
                asset TEXT NOT NULL,
                amount TEXT NOT NULL,
                value_micros BIGINT NOT NULL,
                destination TEXT,
                country TEXT,
                outcome TEXT NOT NULL,
                code TEXT NOT NULL,
                status TEXT NOT NULL,
                holds TEXT NOT NULL,
                window_name TEXT NOT NULL,
                window_limit BIGINT NOT NULL,
                window_used BIGINT NOT NULL,
                per_transaction BIGINT NOT NULL,
                cap_24h BIGINT NOT NULL,
                cap_30d BIGINT NOT NULL,
                retry_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (account_id, idempotency_key)
            )
            """,
            // The windows: every column a decision sums is in the index, so reading an account's
            // last 30 days touches the index only (measured: docs/benchmarks.md).
            "CREATE INDEX authorizations_usage ON authorizations (account_id, created_at, kind, status, value_micros)",
            // Known destinations are looked up only for withdrawals that name one.
            "CREATE INDEX authorizations_destination ON authorizations (account_id, destination) WHERE destination IS NOT NULL",
            // The review queue: only holds get an entry, so approvals pay nothing for it.
            "CREATE INDEX authorizations_held ON authorizations (created_at) WHERE status = 'held'",
            // Agents' decisions on holds: a release above the two-person amount takes an
            // `approve` by one agent and a `release` by another.
            """
            CREATE TABLE hold_reviews (
                id TEXT PRIMARY KEY,
                authorization_id TEXT NOT NULL REFERENCES authorizations(id) ON DELETE CASCADE,
                agent_id TEXT NOT NULL REFERENCES agents(id),
                action TEXT NOT NULL,
                note TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX hold_reviews_authorization ON hold_reviews (authorization_id, created_at)",
            """
            CREATE TABLE service_tokens (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                scope TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
        ]
    }

    /// Supervised 2FA resets: asked by an agent, approved by another, applied after a wait.
    /// The partial unique index keeps one open reset per account whatever races.
    @Sendable static func twoFactorResets(_ flavor: SQLFlavor) -> [String] {
        [
            """
            CREATE TABLE two_factor_resets (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                status TEXT NOT NULL,
                reason TEXT NOT NULL,
                requested_by TEXT NOT NULL REFERENCES agents(id),
                conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
                decided_by TEXT REFERENCES agents(id),
                decided_at BIGINT,
                applies_at BIGINT,
                finished_at BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX two_factor_resets_open ON two_factor_resets (account_id) WHERE status IN ('awaiting_approval', 'scheduled')",
            "CREATE INDEX two_factor_resets_due ON two_factor_resets (status, applies_at)",
        ]
    }

    /// What a token carries besides its account: the new address of an email change.
    @Sendable static func accountTokenPayload(_ flavor: SQLFlavor) -> [String] {
        ["ALTER TABLE account_tokens ADD COLUMN payload TEXT"]
    }

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

    /// One-time codes mailed to prove an address (a chat visitor's email, so far). Stored hashed.
    @Sendable static func emailCodes(_ flavor: SQLFlavor) -> [String] {
        [
            """
            CREATE TABLE email_codes (
                id TEXT PRIMARY KEY,
                purpose TEXT NOT NULL,
                email TEXT NOT NULL,
                code_hash TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX email_codes_email ON email_codes (purpose, email, created_at)",
        ]
    }

    /// Received and sent mail, per-conversation reply addresses, the durable outbox.
    @Sendable static func emailChannel(_ flavor: SQLFlavor) -> [String] {
        [
            "ALTER TABLE inboxes ADD COLUMN email_address TEXT",
            "CREATE UNIQUE INDEX inboxes_email_address ON inboxes (email_address)",
            // Every mail received (raw bytes in the blob store); one row per Message-ID.
            """
            CREATE TABLE mails (
                id TEXT PRIMARY KEY,
                message_id TEXT NOT NULL UNIQUE,
                conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
                message_ref TEXT REFERENCES messages(id) ON DELETE SET NULL,
                raw_sha256 TEXT NOT NULL,
                size BIGINT NOT NULL,
                from_address TEXT,
                subject TEXT NOT NULL,
                automatic TEXT,
                warnings TEXT NOT NULL,
                envelope_from TEXT,
                envelope_to TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX mails_conversation ON mails (conversation_id, created_at)",
            // The address a conversation's mail is sent from and answered to: support+c-TOKEN@…
            """
            CREATE TABLE email_threads (
                conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
                reply_token TEXT NOT NULL UNIQUE,
                customer_address TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            // Mail to send. Composed once (fixed Message-ID), so a retry sends the same mail.
            """
            CREATE TABLE outbox (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                dedup_key TEXT NOT NULL UNIQUE,
                conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
                message_ref TEXT REFERENCES messages(id) ON DELETE SET NULL,
                mail_from TEXT NOT NULL,
                recipients TEXT NOT NULL,
                message_id TEXT NOT NULL UNIQUE,
                subject TEXT NOT NULL,
                raw_sha256 TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                lease_until BIGINT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                sent_at BIGINT
            )
            """,
            "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
            "CREATE INDEX outbox_message ON outbox (message_ref)",
            "CREATE INDEX outbox_conversation ON outbox (conversation_id, created_at)",
        ]
    }

    /// Per-inbox pre-chat forms (JSON; NULL asks the standard form) and agents' pictures.
    @Sendable static func prechatFormsAndAvatars(_ flavor: SQLFlavor) -> [String] {
        [
            "ALTER TABLE inboxes ADD COLUMN prechat_form TEXT",
            "ALTER TABLE agents ADD COLUMN avatar_sha256 TEXT",
            "ALTER TABLE agents ADD COLUMN avatar_type TEXT",
        ]
    }

    /// Saved answers agents insert with a shortcut ("/reset").
    @Sendable static func cannedReplies(_ flavor: SQLFlavor) -> [String] {
        [
            """
            CREATE TABLE canned_replies (
                id TEXT PRIMARY KEY,
                shortcut TEXT NOT NULL UNIQUE,
                body TEXT NOT NULL,
                created_by TEXT REFERENCES agents(id) ON DELETE SET NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """
        ]
    }

    /// Live-chat widget sessions: an unguessable token (stored hashed) scoped to one contact
    /// in one inbox. An email a visitor types is only a claim until it is verified by mail.
    @Sendable static func widgetSessions(_ flavor: SQLFlavor) -> [String] {
        [
            """
            CREATE TABLE widget_sessions (
                id TEXT PRIMARY KEY,
                token_hash TEXT NOT NULL UNIQUE,
                inbox_id TEXT NOT NULL REFERENCES inboxes(id),
                contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
                claimed_email TEXT,
                claimed_wallet_uid TEXT,
                locale TEXT,
                topic TEXT,
                user_agent TEXT,
                client_address TEXT,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
            "CREATE INDEX widget_sessions_contact ON widget_sessions (contact_id)",
        ]
    }

    /// Contacts, inboxes, conversations, messages, agents, teams, attachments, audit log.
    @Sendable static func foundation(_ flavor: SQLFlavor) -> [String] {
        let serial =
            flavor == .sqlite
            ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        var statements = [
            """
            CREATE TABLE agents (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
                status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
                password_hash TEXT NOT NULL,
                password_must_change BOOLEAN NOT NULL DEFAULT FALSE,
                totp_secret_sealed TEXT,
                totp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
                totp_last_step BIGINT,
                chat_capacity INTEGER NOT NULL DEFAULT 5,
                locale TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE agent_sessions (
                id TEXT PRIMARY KEY,
                agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
                token_hash TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL CHECK (kind IN ('api', 'console')),
                csrf_token TEXT,
                user_agent TEXT,
                client_address TEXT,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
            "CREATE INDEX agent_sessions_agent ON agent_sessions (agent_id)",
            """
            CREATE TABLE teams (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE team_members (
                team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
                agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
                PRIMARY KEY (team_id, agent_id)
            )
            """,
            """
            CREATE TABLE inboxes (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('webchat', 'email', 'telegram', 'api')),
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE contacts (
                id TEXT PRIMARY KEY,
                name TEXT,
                email TEXT UNIQUE,
                locale TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE contact_identities (
                contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
                channel TEXT NOT NULL,
                external_id TEXT NOT NULL,
                PRIMARY KEY (channel, external_id)
            )
            """,
            """
            CREATE TABLE counters (
                name TEXT PRIMARY KEY,
                value BIGINT NOT NULL
            )
            """,
            "INSERT INTO counters (name, value) VALUES ('conversation_number', 1000)",
            """
            CREATE TABLE conversations (
                id TEXT PRIMARY KEY,
                number BIGINT NOT NULL UNIQUE,
                inbox_id TEXT NOT NULL REFERENCES inboxes(id),
                contact_id TEXT NOT NULL REFERENCES contacts(id),
                subject TEXT,
                status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
                priority TEXT NOT NULL CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
                assignee_id TEXT REFERENCES agents(id),
                team_id TEXT REFERENCES teams(id),
                last_seq BIGINT NOT NULL DEFAULT 0,
                contact_read_seq BIGINT NOT NULL DEFAULT 0,
                agent_read_seq BIGINT NOT NULL DEFAULT 0,
                last_message_at BIGINT,
                last_activity_at BIGINT NOT NULL,
                snoozed_until BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX conversations_activity ON conversations (last_activity_at DESC, id DESC)",
            "CREATE INDEX conversations_status ON conversations (status, last_activity_at DESC)",
            "CREATE INDEX conversations_assignee ON conversations (assignee_id, last_activity_at DESC)",
            "CREATE INDEX conversations_inbox ON conversations (inbox_id, last_activity_at DESC)",
            "CREATE INDEX conversations_contact ON conversations (contact_id)",
            """
            CREATE TABLE conversation_labels (
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                label TEXT NOT NULL,
                PRIMARY KEY (conversation_id, label)
            )
            """,
            """
            CREATE TABLE messages (
                id TEXT PRIMARY KEY,
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                seq BIGINT NOT NULL,
                direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'note', 'system')),
                author_kind TEXT NOT NULL CHECK (author_kind IN ('contact', 'agent', 'system')),
                author_id TEXT,
                body TEXT NOT NULL,
                channel_message_id TEXT,
                client_message_id TEXT,
                created_at BIGINT NOT NULL,
                UNIQUE (conversation_id, seq),
                UNIQUE (conversation_id, client_message_id)
            )
            """,
            "CREATE INDEX messages_channel_id ON messages (channel_message_id)",
            """
            CREATE TABLE attachments (
                id TEXT PRIMARY KEY,
                message_id TEXT REFERENCES messages(id) ON DELETE SET NULL,
                sha256 TEXT NOT NULL,
                size BIGINT NOT NULL,
                content_type TEXT NOT NULL,
                filename TEXT NOT NULL,
                uploaded_by_kind TEXT NOT NULL,
                uploaded_by_id TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX attachments_message ON attachments (message_id)",
            """
            CREATE TABLE audit_log (
                id \(serial),
                at BIGINT NOT NULL,
                actor_kind TEXT NOT NULL,
                actor_id TEXT,
                action TEXT NOT NULL,
                subject_kind TEXT NOT NULL,
                subject_id TEXT,
                detail TEXT NOT NULL,
                client_address TEXT
            )
            """,
            """
            CREATE TABLE settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
        ]
        // The audit log is append-only: the database itself refuses to change or drop a line.
        switch flavor {
        case .sqlite:
            statements += [
                "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            ]
        case .postgres:
            statements += [
                """
                CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$
                """,
                "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
            ]
        }
        return statements
    }
}
