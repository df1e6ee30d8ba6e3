import Foundation

extension Schema {
    /// One-time codes mailed to prove an address (a chat visitor's email, so far). Stored hashed.
    @Sendable static func emailCodes(_ flavor: SQLFlavor) -> [String] {
        [
            """
            CREATE TABLE email_codes (
                id TEXT PRIMARY KEY,
                purpose TEXT NOT NULL,
                email TEXT NOT NULL,
                code_hash TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX email_codes_email ON email_codes (purpose, email, created_at)",
        ]
    }
}
