import Foundation

extension Schema {
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
}
