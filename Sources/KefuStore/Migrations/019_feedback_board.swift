import Foundation

extension Schema {
    /// The community feedback board: customers' suggestions and problems with votes (one per
    /// account) and comments, agents' official answers and statuses, duplicates merged with
    /// their votes, links to the conversations where a post came up, and abuse reports.
    @Sendable static func feedbackBoard(_ flavor: SQLFlavor) -> [String] {
        let serial = flavor == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        return [
            "INSERT INTO counters (name, value) VALUES ('feedback_number', 0)",
            """
            CREATE TABLE feedback_posts (
                id TEXT PRIMARY KEY,
                number BIGINT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                title TEXT NOT NULL,
                body TEXT NOT NULL,
                status TEXT NOT NULL,
                author_account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
                author_name TEXT NOT NULL,
                source TEXT NOT NULL,
                votes INTEGER NOT NULL DEFAULT 0,
                comments INTEGER NOT NULL DEFAULT 0,
                hidden BOOLEAN NOT NULL DEFAULT FALSE,
                locked BOOLEAN NOT NULL DEFAULT FALSE,
                merged_into TEXT REFERENCES feedback_posts(id),
                locale TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                status_changed_at BIGINT
            )
            """,
            "CREATE INDEX feedback_posts_board ON feedback_posts (hidden, status, votes)",
            "CREATE INDEX feedback_posts_created ON feedback_posts (created_at)",
            """
            CREATE TABLE feedback_votes (
                post_id TEXT NOT NULL REFERENCES feedback_posts(id) ON DELETE CASCADE,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (post_id, account_id)
            )
            """,
            "CREATE INDEX feedback_votes_created ON feedback_votes (created_at)",
            """
            CREATE TABLE feedback_comments (
                id TEXT PRIMARY KEY,
                post_id TEXT NOT NULL REFERENCES feedback_posts(id) ON DELETE CASCADE,
                author_kind TEXT NOT NULL,
                author_id TEXT NOT NULL,
                author_name TEXT NOT NULL,
                body TEXT NOT NULL,
                official BOOLEAN NOT NULL DEFAULT FALSE,
                hidden BOOLEAN NOT NULL DEFAULT FALSE,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX feedback_comments_post ON feedback_comments (post_id, created_at)",
            "CREATE INDEX feedback_comments_author ON feedback_comments (author_id, created_at)",
            """
            CREATE TABLE feedback_links (
                post_id TEXT NOT NULL REFERENCES feedback_posts(id) ON DELETE CASCADE,
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                linked_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (post_id, conversation_id)
            )
            """,
            """
            CREATE TABLE feedback_reports (
                id \(serial),
                post_id TEXT NOT NULL REFERENCES feedback_posts(id) ON DELETE CASCADE,
                comment_id TEXT REFERENCES feedback_comments(id) ON DELETE CASCADE,
                account_id TEXT,
                reason TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                resolved_at BIGINT,
                resolved_by TEXT
            )
            """,
            "CREATE INDEX feedback_reports_open ON feedback_reports (resolved_at, created_at)",
        ]
    }
}
