import Foundation

extension Schema {
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
}
