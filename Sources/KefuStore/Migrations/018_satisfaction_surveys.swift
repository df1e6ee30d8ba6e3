import Foundation

extension Schema {
    /// Satisfaction surveys: one per resolution of a conversation (a reopened and re-resolved
    /// conversation is asked again, never twice for one resolution), sent after a delay through
    /// the conversation's own channel under a lease, answered once (and amended) with a rating
    /// and a comment; low ratings open a follow-up. Inboxes can switch the survey off.
    @Sendable static func satisfactionSurveys(_ flavor: SQLFlavor) -> [String] {
        [
            "ALTER TABLE inboxes ADD COLUMN csat_enabled BOOLEAN NOT NULL DEFAULT TRUE",
            // How many times the conversation was resolved: the survey names the one it asks about.
            "ALTER TABLE conversations ADD COLUMN resolutions INTEGER NOT NULL DEFAULT 0",
            "UPDATE conversations SET resolutions = 1 WHERE status = 'resolved'",
            // The latest answer, for lists, the API and reports.
            "ALTER TABLE conversations ADD COLUMN csat_rating INTEGER",
            "ALTER TABLE conversations ADD COLUMN csat_comment TEXT",
            """
            CREATE TABLE csat_surveys (
                id TEXT PRIMARY KEY,
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                resolution INTEGER NOT NULL,
                inbox_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                status TEXT NOT NULL,
                skip_reason TEXT,
                manual BOOLEAN NOT NULL DEFAULT FALSE,
                locale TEXT NOT NULL,
                agent_id TEXT,
                team_id TEXT,
                resolved_at BIGINT NOT NULL,
                send_at BIGINT NOT NULL,
                sent_at BIGINT,
                rating INTEGER,
                comment TEXT,
                answered_at BIGINT,
                answered_via TEXT,
                follow_up TEXT,
                follow_up_by TEXT,
                follow_up_at BIGINT,
                lease_owner TEXT,
                lease_until BIGINT,
                created_at BIGINT NOT NULL,
                UNIQUE (conversation_id, resolution)
            )
            """,
            "CREATE INDEX csat_surveys_due ON csat_surveys (send_at) WHERE status = 'scheduled'",
            "CREATE INDEX csat_surveys_answered ON csat_surveys (answered_at)",
            "CREATE INDEX csat_surveys_follow_up ON csat_surveys (follow_up, answered_at)",
            // The wallet app's callback hears about surveys too.
            """
            UPDATE webhook_subscriptions SET events = REPLACE(events, '"conversation.typing"', '"conversation.typing","conversation.csat_requested"')
            WHERE inbox_id IS NOT NULL AND events LIKE '%"conversation.typing"%' AND events NOT LIKE '%csat_requested%'
            """,
        ]
    }
}
