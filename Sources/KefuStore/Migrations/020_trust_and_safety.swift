import Foundation

extension Schema {
    /// Trust and safety: the flag on a conversation whose customer exposed a secret, agents'
    /// verification codes (one per agent, conversation and day, carried by each reply), the
    /// customers' reports of accounts that pretended to be support, and the hash chain over
    /// the audit log (each line carries its place, the previous line's hash and its own; the
    /// head is kept in `audit_chain`, whose one row also serialises appends).
    @Sendable static func trustAndSafety(_ flavor: SQLFlavor) -> [String] {
        var statements = [
            "ALTER TABLE conversations ADD COLUMN secret_exposed_at BIGINT",
            "ALTER TABLE messages ADD COLUMN agent_code TEXT",
            """
            CREATE TABLE agent_codes (
                code TEXT PRIMARY KEY,
                agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                day BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                UNIQUE (agent_id, conversation_id, day)
            )
            """,
            """
            CREATE TABLE impersonation_reports (
                id TEXT PRIMARY KEY,
                place TEXT NOT NULL,
                handle TEXT NOT NULL,
                handle_key TEXT NOT NULL,
                note TEXT NOT NULL,
                screenshot_sha256 TEXT,
                screenshot_type TEXT,
                contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
                locale TEXT NOT NULL,
                status TEXT NOT NULL,
                client_address TEXT,
                created_at BIGINT NOT NULL,
                reviewed_by TEXT REFERENCES agents(id) ON DELETE SET NULL,
                reviewed_at BIGINT
            )
            """,
            "CREATE INDEX impersonation_reports_queue ON impersonation_reports (status, created_at)",
            "CREATE INDEX impersonation_reports_handle ON impersonation_reports (handle_key)",
            "ALTER TABLE audit_log ADD COLUMN seq BIGINT",
            "ALTER TABLE audit_log ADD COLUMN prev_hash TEXT",
            "ALTER TABLE audit_log ADD COLUMN hash TEXT",
            "CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq)",
            """
            CREATE TABLE audit_chain (
                id INTEGER PRIMARY KEY,
                seq BIGINT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "INSERT INTO audit_chain (id, seq, hash) VALUES (1, 0, '\(String(repeating: "0", count: 64))')",
        ]
        // Still append-only, with one exception: a line written before the chain existed may be
        // given its place in it once (`seq`, `prev_hash`, `hash` from NULL), nothing else.
        switch flavor {
        case .sqlite:
            statements += [
                "DROP TRIGGER audit_log_no_update",
                """
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                WHEN OLD.hash IS NOT NULL OR OLD.seq IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at
                    OR NEW.actor_kind IS NOT OLD.actor_kind OR NEW.actor_id IS NOT OLD.actor_id OR NEW.action IS NOT OLD.action
                    OR NEW.subject_kind IS NOT OLD.subject_kind OR NEW.subject_id IS NOT OLD.subject_id
                    OR NEW.detail IS NOT OLD.detail OR NEW.client_address IS NOT OLD.client_address
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """,
            ]
        case .postgres:
            statements += [
                """
                CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND OLD.seq IS NULL
                        AND (NEW.id, NEW.at, NEW.actor_kind, NEW.actor_id, NEW.action, NEW.subject_kind, NEW.subject_id, NEW.detail, NEW.client_address)
                            IS NOT DISTINCT FROM
                            (OLD.id, OLD.at, OLD.actor_kind, OLD.actor_id, OLD.action, OLD.subject_kind, OLD.subject_id, OLD.detail, OLD.client_address)
                    THEN RETURN NEW; END IF;
                    RAISE EXCEPTION 'audit_log is append-only';
                END; $$
                """
            ]
        }
        return statements
    }
}
