import Foundation

extension Schema {
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
