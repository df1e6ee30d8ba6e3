import Foundation

extension Schema {
    /// The limits and risk engine: every decision Kefu made about moving money (amounts in
    /// micro-dollars, so SUM is exact in both databases), the account's verified country, and the
    /// tokens services such as the wallet's backend call with.
    @Sendable static func authorizations(_ flavor: SQLFlavor) -> [String] {
        [
            "ALTER TABLE accounts ADD COLUMN country TEXT",
            """
            CREATE TABLE authorizations (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                idempotency_key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                kind TEXT NOT NULL,
                asset TEXT NOT NULL,
                amount TEXT NOT NULL,
                value_micros BIGINT NOT NULL,
                destination TEXT,
                country TEXT,
                outcome TEXT NOT NULL,
                code TEXT NOT NULL,
                status TEXT NOT NULL,
                holds TEXT NOT NULL,
                window_name TEXT NOT NULL,
                window_limit BIGINT NOT NULL,
                window_used BIGINT NOT NULL,
                per_transaction BIGINT NOT NULL,
                cap_24h BIGINT NOT NULL,
                cap_30d BIGINT NOT NULL,
                retry_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (account_id, idempotency_key)
            )
            """,
            // The windows: every column a decision sums is in the index, so reading an account's
            // last 30 days touches the index only (measured: docs/benchmarks.md).
            "CREATE INDEX authorizations_usage ON authorizations (account_id, created_at, kind, status, value_micros)",
            // Known destinations are looked up only for withdrawals that name one.
            "CREATE INDEX authorizations_destination ON authorizations (account_id, destination) WHERE destination IS NOT NULL",
            // The review queue: only holds get an entry, so approvals pay nothing for it.
            "CREATE INDEX authorizations_held ON authorizations (created_at) WHERE status = 'held'",
            // Agents' decisions on holds: a release above the two-person amount takes an
            // `approve` by one agent and a `release` by another.
            """
            CREATE TABLE hold_reviews (
                id TEXT PRIMARY KEY,
                authorization_id TEXT NOT NULL REFERENCES authorizations(id) ON DELETE CASCADE,
                agent_id TEXT NOT NULL REFERENCES agents(id),
                action TEXT NOT NULL,
                note TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX hold_reviews_authorization ON hold_reviews (authorization_id, created_at)",
            """
            CREATE TABLE service_tokens (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                scope TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
        ]
    }
}
