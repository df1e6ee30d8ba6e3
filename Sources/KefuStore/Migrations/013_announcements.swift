import Foundation

extension Schema {
    /// Announcements from the official accounts: the current text in both languages, and every
    /// version (written, edited, published, unpublished) with who did it.
    @Sendable static func announcements(_ flavor: SQLFlavor) -> [String] {
        [
            """
            CREATE TABLE announcements (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                title_en TEXT NOT NULL,
                title_zh TEXT NOT NULL,
                body_en TEXT NOT NULL,
                body_zh TEXT NOT NULL,
                version INTEGER NOT NULL,
                published_at BIGINT,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX announcements_published ON announcements (status, published_at)",
            """
            CREATE TABLE announcement_versions (
                announcement_id TEXT NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
                version INTEGER NOT NULL,
                action TEXT NOT NULL,
                title_en TEXT NOT NULL,
                title_zh TEXT NOT NULL,
                body_en TEXT NOT NULL,
                body_zh TEXT NOT NULL,
                agent_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (announcement_id, version)
            )
            """,
        ]
    }
}
