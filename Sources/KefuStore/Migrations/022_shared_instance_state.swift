import Foundation

extension Schema {
    /// What several instances on one database share instead of keeping it in memory: which
    /// instances are alive, leases for work only one may do at a time (Telegram's long poll),
    /// credential attempts (throttles), which agents are connected where and away, and who got
    /// the last chat by round robin.
    @Sendable static func sharedInstanceState(_ flavor: SQLFlavor) -> [String] {
        [
            """
            CREATE TABLE kefu_instances (
                id TEXT PRIMARY KEY,
                started_at BIGINT NOT NULL,
                seen_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE instance_leases (
                name TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                lease_until BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE credential_attempts (
                id TEXT PRIMARY KEY,
                throttle_key TEXT NOT NULL,
                attempted_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX credential_attempts_key ON credential_attempts (throttle_key, attempted_at)",
            "CREATE INDEX credential_attempts_age ON credential_attempts (attempted_at)",
            """
            CREATE TABLE agent_connections (
                instance_id TEXT NOT NULL,
                agent_id TEXT NOT NULL,
                connections INTEGER NOT NULL,
                last_disconnect_at BIGINT,
                PRIMARY KEY (instance_id, agent_id)
            )
            """,
            """
            CREATE TABLE agent_away (
                agent_id TEXT PRIMARY KEY,
                away INTEGER NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE assignment_rotation (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                last_agent_id TEXT
            )
            """,
        ]
    }
}
