import Foundation

extension Schema {
    /// Outbound webhooks: a journal of what happened, written in the transaction that made it
    /// happen; admins' subscriptions; and one delivery per event and subscription, retried.
    @Sendable static func webhooks(_ flavor: SQLFlavor) -> [String] {
        let serial = flavor == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        return [
            // Events not yet fanned out to subscriptions (the rows are removed when they are).
            """
            CREATE TABLE outbound_events (
                seq \(serial),
                event_type TEXT NOT NULL,
                subject_id TEXT NOT NULL,
                inbox_id TEXT,
                detail TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE webhook_subscriptions (
                id TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                events TEXT NOT NULL,
                include_private_notes BOOLEAN NOT NULL,
                inbox_id TEXT REFERENCES inboxes(id) ON DELETE CASCADE,
                secret_sealed TEXT NOT NULL,
                previous_secret_sealed TEXT,
                previous_secret_until BIGINT,
                status TEXT NOT NULL,
                disabled_reason TEXT,
                failing_since BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE webhook_deliveries (
                id TEXT PRIMARY KEY,
                subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
                event_type TEXT NOT NULL,
                body TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                lease_until BIGINT,
                response_status INTEGER,
                latency_ms INTEGER,
                response_excerpt TEXT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                delivered_at BIGINT
            )
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
            "CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at)",
            // Migration 11 indexed messages.channel_message_id a second time (the foundation has
            // messages_channel_id); one index is enough.
            "DROP INDEX IF EXISTS messages_channel_message",
        ]
    }
}
