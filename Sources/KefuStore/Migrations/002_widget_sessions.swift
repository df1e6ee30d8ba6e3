import Foundation

extension Schema {
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
}
