import Foundation

extension Schema {
    /// Response targets: business calendars with holidays, policies per channel, inbox, priority
    /// and label, each conversation's running timers (leased when due, so one instance fires each
    /// once) and their event log; agents' notifications; the times reports measure from.
    @Sendable static func serviceLevels(_ flavor: SQLFlavor) -> [String] {
        let serial = flavor == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        return [
            """
            CREATE TABLE business_calendars (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                time_zone TEXT NOT NULL,
                periods TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE business_holidays (
                calendar_id TEXT NOT NULL REFERENCES business_calendars(id) ON DELETE CASCADE,
                day TEXT NOT NULL,
                name TEXT NOT NULL,
                PRIMARY KEY (calendar_id, day)
            )
            """,
            """
            CREATE TABLE sla_policies (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                channel TEXT,
                inbox_id TEXT REFERENCES inboxes(id) ON DELETE CASCADE,
                priority TEXT,
                label TEXT,
                first_response_seconds INTEGER,
                next_response_seconds INTEGER,
                resolution_seconds INTEGER,
                calendar_id TEXT REFERENCES business_calendars(id),
                warn_before_seconds INTEGER NOT NULL DEFAULT 0,
                raise_priority TEXT,
                reassign BOOLEAN NOT NULL DEFAULT FALSE,
                position INTEGER NOT NULL DEFAULT 0,
                enabled BOOLEAN NOT NULL DEFAULT TRUE,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            // The promises the product makes out of the box: chats (the widget, Telegram, the app)
            // in minutes, mail within a day; every second counts until an admin sets hours.
            """
            INSERT INTO sla_policies (id, name, channel, first_response_seconds, next_response_seconds, warn_before_seconds, position,
                created_at, updated_at)
            VALUES ('5e1a0001-0000-4000-8000-000000000001', 'Live chat', 'webchat', 300, 300, 60, 0, 0, 0),
                ('5e1a0001-0000-4000-8000-000000000002', 'Email', 'email', 86400, 86400, 3600, 1, 0, 0),
                ('5e1a0001-0000-4000-8000-000000000003', 'Telegram', 'telegram', 300, 300, 60, 2, 0, 0),
                ('5e1a0001-0000-4000-8000-000000000004', 'In-app chat', 'api', 300, 300, 60, 3, 0, 0)
            """,
            """
            CREATE TABLE conversation_sla_timers (
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                metric TEXT NOT NULL,
                policy_id TEXT NOT NULL,
                target_seconds INTEGER NOT NULL,
                warn_before_seconds INTEGER NOT NULL,
                started_at BIGINT NOT NULL,
                consumed_seconds INTEGER NOT NULL,
                phase TEXT NOT NULL,
                since_at BIGINT NOT NULL,
                due_at BIGINT,
                warn_at BIGINT,
                met BOOLEAN NOT NULL DEFAULT FALSE,
                warned BOOLEAN NOT NULL DEFAULT FALSE,
                breached_at BIGINT,
                fire_at BIGINT,
                lease_owner TEXT,
                lease_until BIGINT,
                PRIMARY KEY (conversation_id, metric)
            )
            """,
            "CREATE INDEX conversation_sla_timers_due ON conversation_sla_timers (fire_at) WHERE fire_at IS NOT NULL",
            """
            CREATE TABLE sla_events (
                id \(serial),
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                metric TEXT NOT NULL,
                kind TEXT NOT NULL,
                policy_id TEXT NOT NULL,
                target_seconds INTEGER NOT NULL,
                elapsed_seconds INTEGER NOT NULL,
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX sla_events_conversation ON sla_events (conversation_id, id)",
            "CREATE INDEX sla_events_at ON sla_events (at, kind)",
            // NULL: no policy looked for yet; '': none matched.
            "ALTER TABLE conversations ADD COLUMN sla_policy_id TEXT",
            "ALTER TABLE conversations ADD COLUMN sla_due_at BIGINT",
            "ALTER TABLE conversations ADD COLUMN sla_breached BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE conversations ADD COLUMN first_reply_at BIGINT",
            "ALTER TABLE conversations ADD COLUMN resolved_at BIGINT",
            """
            UPDATE conversations SET first_reply_at = (
                SELECT MIN(m.created_at) FROM messages m
                WHERE m.conversation_id = conversations.id AND m.direction = 'outgoing' AND m.author_kind = 'agent')
            """,
            "UPDATE conversations SET resolved_at = updated_at WHERE status = 'resolved'",
            // Conversations from before targets existed are not measured.
            "UPDATE conversations SET sla_policy_id = ''",
            "CREATE INDEX conversations_sla_due ON conversations (sla_due_at) WHERE sla_due_at IS NOT NULL",
            "CREATE INDEX conversations_created ON conversations (created_at)",
            // Supervisors may stop the mail copies of their notifications.
            "ALTER TABLE agents ADD COLUMN notify_by_mail BOOLEAN NOT NULL DEFAULT TRUE",
            """
            CREATE TABLE agent_notifications (
                id TEXT PRIMARY KEY,
                agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                conversation_id TEXT REFERENCES conversations(id) ON DELETE CASCADE,
                detail TEXT NOT NULL,
                mail_state TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                read_at BIGINT
            )
            """,
            "CREATE INDEX agent_notifications_agent ON agent_notifications (agent_id, created_at)",
            "CREATE INDEX agent_notifications_mail ON agent_notifications (mail_state, created_at)",
        ]
    }
}
