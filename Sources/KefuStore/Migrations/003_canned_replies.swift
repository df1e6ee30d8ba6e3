import Foundation

extension Schema {
    /// Saved answers agents insert with a shortcut ("/reset").
    @Sendable static func cannedReplies(_ flavor: SQLFlavor) -> [String] {
        [
            """
            CREATE TABLE canned_replies (
                id TEXT PRIMARY KEY,
                shortcut TEXT NOT NULL UNIQUE,
                body TEXT NOT NULL,
                created_by TEXT REFERENCES agents(id) ON DELETE SET NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """
        ]
    }
}
