import Foundation

extension Schema {
    /// The help center: categories and articles with every saved version in both languages; the
    /// search index (terms computed in Swift, so Chinese works the same on both databases);
    /// votes, unanswered searches and widget deflections for the content team; the operator's
    /// official channels and what customers asked about them.
    @Sendable static func helpCenter(_ flavor: SQLFlavor) -> [String] {
        let serial = flavor == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        var statements = [
            // Agents below supervisor may be given the right to write help articles.
            "ALTER TABLE agents ADD COLUMN help_editor BOOLEAN NOT NULL DEFAULT FALSE",
            """
            CREATE TABLE help_categories (
                id TEXT PRIMARY KEY,
                slug TEXT NOT NULL UNIQUE,
                position INTEGER NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE help_category_texts (
                category_id TEXT NOT NULL REFERENCES help_categories(id) ON DELETE CASCADE,
                locale TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                PRIMARY KEY (category_id, locale)
            )
            """,
            """
            CREATE TABLE help_articles (
                id TEXT PRIMARY KEY,
                slug TEXT NOT NULL UNIQUE,
                category_id TEXT REFERENCES help_categories(id) ON DELETE SET NULL,
                status TEXT NOT NULL,
                latest_version INTEGER NOT NULL,
                live_version INTEGER,
                helpful_yes INTEGER NOT NULL DEFAULT 0,
                helpful_no INTEGER NOT NULL DEFAULT 0,
                views BIGINT NOT NULL DEFAULT 0,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                published_at BIGINT
            )
            """,
            "CREATE INDEX help_articles_live ON help_articles (status, category_id)",
            """
            CREATE TABLE help_article_versions (
                article_id TEXT NOT NULL REFERENCES help_articles(id) ON DELETE CASCADE,
                version INTEGER NOT NULL,
                category_id TEXT,
                agent_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                published_at BIGINT,
                PRIMARY KEY (article_id, version)
            )
            """,
            """
            CREATE TABLE help_article_texts (
                article_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                locale TEXT NOT NULL,
                title TEXT NOT NULL,
                body TEXT NOT NULL,
                html TEXT NOT NULL,
                headings TEXT NOT NULL,
                plain_text TEXT NOT NULL,
                PRIMARY KEY (article_id, version, locale),
                FOREIGN KEY (article_id, version) REFERENCES help_article_versions(article_id, version) ON DELETE CASCADE
            )
            """,
            // One row per live article and language: what search shows and ranks.
            """
            CREATE TABLE help_search_docs (
                doc_id \(serial),
                article_id TEXT NOT NULL REFERENCES help_articles(id) ON DELETE CASCADE,
                locale TEXT NOT NULL,
                title TEXT NOT NULL,
                plain_text TEXT NOT NULL,
                words TEXT NOT NULL,
                updated_at BIGINT NOT NULL\(flavor == .postgres ? ",\n    title_document TSVECTOR NOT NULL,\n    document TSVECTOR NOT NULL" : ""),
                UNIQUE (article_id, locale)
            )
            """,
            // Words of live articles as written, for "did you mean".
            """
            CREATE TABLE help_words (
                word TEXT PRIMARY KEY,
                documents INTEGER NOT NULL
            )
            """,
            "CREATE INDEX help_words_length ON help_words (length(word))",
            """
            CREATE TABLE help_votes (
                id TEXT PRIMARY KEY,
                article_id TEXT NOT NULL REFERENCES help_articles(id) ON DELETE CASCADE,
                locale TEXT NOT NULL,
                helpful BOOLEAN NOT NULL,
                comment TEXT,
                voter TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                UNIQUE (article_id, voter)
            )
            """,
            "CREATE INDEX help_votes_article ON help_votes (article_id, created_at)",
            """
            CREATE TABLE help_search_misses (
                query TEXT NOT NULL,
                locale TEXT NOT NULL,
                searches INTEGER NOT NULL,
                first_at BIGINT NOT NULL,
                last_at BIGINT NOT NULL,
                PRIMARY KEY (query, locale)
            )
            """,
            """
            CREATE TABLE help_deflections (
                id \(serial),
                article_id TEXT NOT NULL REFERENCES help_articles(id) ON DELETE CASCADE,
                widget_session_id TEXT,
                outcome TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX help_deflections_time ON help_deflections (created_at)",
            """
            CREATE TABLE official_channels (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                value TEXT NOT NULL,
                note TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                UNIQUE (kind, value)
            )
            """,
            // Every verify-page check, counted per value: what is being impersonated.
            """
            CREATE TABLE official_channel_checks (
                value TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                resembles TEXT,
                checks INTEGER NOT NULL,
                first_at BIGINT NOT NULL,
                last_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX official_channel_checks_recent ON official_channel_checks (status, last_at)",
        ]
        switch flavor {
        case .sqlite:
            // The terms are words already (CJK bigrams and characters, stemmed English): the
            // tokenizer only splits on the spaces between them.
            statements.append("CREATE VIRTUAL TABLE help_search_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')")
        case .postgres:
            // Titles alone first (a short vector, cheap to rank), the whole document when they
            // are not enough.
            statements.append("CREATE INDEX help_search_docs_title ON help_search_docs USING GIN (title_document)")
            statements.append("CREATE INDEX help_search_docs_document ON help_search_docs USING GIN (document)")
        }
        return statements
    }
}
