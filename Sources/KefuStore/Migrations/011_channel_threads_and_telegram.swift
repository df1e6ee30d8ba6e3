import Foundation

extension Schema {
    /// Channels without email addresses (Telegram now, the API channel next; who a customer is on
    /// a channel is the foundation's `contact_identities`): where a conversation's replies go, which inbound updates were already
    /// stored, the Telegram bots, and the durable outbox for channels that are not mail.
    @Sendable static func channelThreadsAndTelegram(_ flavor: SQLFlavor) -> [String] {
        [
            // Where a conversation lives on its channel (a Telegram chat) and which of the
            // customer's messages a reply answers (in groups, a reply quotes it).
            """
            CREATE TABLE channel_threads (
                conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
                inbox_id TEXT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
                contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
                thread_key TEXT NOT NULL,
                reply_to TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX channel_threads_lookup ON channel_threads (inbox_id, contact_id, thread_key, created_at)",
            // Each inbound update once (a Telegram update id, an API client id), written in the
            // transaction that stores what it became.
            """
            CREATE TABLE channel_receipts (
                inbox_id TEXT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
                receipt_key TEXT NOT NULL,
                conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
                message_ref TEXT REFERENCES messages(id) ON DELETE SET NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (inbox_id, receipt_key)
            )
            """,
            // An edit names the channel's message id; found through this index.
            "CREATE INDEX messages_channel_message ON messages (channel_message_id)",
            // One bot per Telegram inbox. The token and the webhook secret are sealed with the
            // secret key (AES-GCM), never stored or shown in clear.
            """
            CREATE TABLE telegram_bots (
                inbox_id TEXT PRIMARY KEY REFERENCES inboxes(id) ON DELETE CASCADE,
                bot_id BIGINT NOT NULL UNIQUE,
                username TEXT NOT NULL,
                token_sealed TEXT NOT NULL,
                webhook_secret_sealed TEXT NOT NULL,
                update_offset BIGINT NOT NULL,
                mode TEXT,
                announce_chats TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            // What channels other than mail send, durably: one row per reply or notice, sent in
            // parts (text, then each file) whose channel ids are kept as they succeed, so a
            // retry after a crash sends only what is missing.
            """
            CREATE TABLE channel_outbox (
                id TEXT PRIMARY KEY,
                inbox_id TEXT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                dedup_key TEXT NOT NULL UNIQUE,
                conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
                message_ref TEXT REFERENCES messages(id) ON DELETE SET NULL,
                target TEXT NOT NULL,
                payload TEXT NOT NULL,
                sent_parts TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                lease_until BIGINT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                sent_at BIGINT
            )
            """,
            "CREATE INDEX channel_outbox_due ON channel_outbox (status, next_attempt_at)",
            "CREATE INDEX channel_outbox_message ON channel_outbox (message_ref)",
            "CREATE INDEX channel_outbox_conversation ON channel_outbox (conversation_id, created_at)",
        ]
    }
}
