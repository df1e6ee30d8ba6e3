import Foundation
import KefuCore
import SQLKit

extension SQLStore: HelpArticleRepository {
    /// An article's row with one language of one version (two rows make a whole article).
    static let helpArticleSelect = """
        SELECT a.id, a.slug, a.status, a.latest_version, a.live_version, a.helpful_yes, a.helpful_no, a.views, a.created_at,
            a.updated_at, a.published_at, v.category_id AS content_category, t.locale, t.title, t.body, t.html, t.headings, t.plain_text
        FROM help_articles a
        JOIN help_article_versions v ON v.article_id = a.id AND v.version = a.%@
        JOIN help_article_texts t ON t.article_id = v.article_id AND t.version = v.version
        """

    static func helpArticleQuery(version: String) -> String { helpArticleSelect.replacingOccurrences(of: "%@", with: version) }

    /// Rows to articles, keeping the order in which each article first appears.
    static func helpArticles(from rows: [any SQLRow]) throws -> [HelpArticle] {
        var order: [String] = []
        var found: [String: HelpArticle] = [:]
        for row in rows {
            let id = try row.string("id")
            let locale = try row.enumValue("locale", as: HelpLocale.self)
            let text = ArticleTranslation(title: try row.string("title"), body: try row.string("body"))
            let rendered = try Self.rendered(from: row)
            if found[id] != nil {
                found[id]?.content.translations[locale] = text
                found[id]?.content.rendered[locale] = rendered
                continue
            }
            order.append(id)
            found[id] = HelpArticle(
                id: id, slug: try row.string("slug"), status: try row.enumValue("status", as: HelpArticleStatus.self),
                latestVersion: try row.decode(column: "latest_version", as: Int.self), liveVersion: try row.decode(column: "live_version", as: Int?.self),
                content: ArticleContent(categoryId: try row.optionalString("content_category"), translations: [locale: text], rendered: [locale: rendered]),
                helpfulYes: try row.decode(column: "helpful_yes", as: Int.self), helpfulNo: try row.decode(column: "helpful_no", as: Int.self),
                views: try row.decode(column: "views", as: Int.self), createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
                publishedAt: try row.optionalDate("published_at"))
        }
        return order.compactMap { found[$0] }
    }

    /// A stored rendering: the HTML, the outline (JSON) and the plain text.
    static func rendered(from row: any SQLRow) throws -> RenderedMarkdown {
        let headings = try JSONDecoder().decode([RenderedMarkdown.Heading].self, from: Data(try row.string("headings").utf8))
        return RenderedMarkdown(html: try row.string("html"), headings: headings, plainText: try row.string("plain_text"))
    }

    public func createHelpCategory(
        slug: String, position: Int, names: [HelpLocale: String], descriptions: [HelpLocale: String], audit: AuditEvent?
    ) async throws -> HelpCategory {
        let id = UUID().uuidString.lowercased()
        let at = Clock.millis(now())
        do {
            try await database.write { sql in
                try await sql.raw(
                    "INSERT INTO help_categories (id, slug, position, created_at, updated_at) VALUES (\(bind: id), \(bind: slug), \(bind: position), \(bind: at), \(bind: at))"
                ).run()
                for locale in HelpLocale.allCases {
                    try await sql.raw(
                        """
                        INSERT INTO help_category_texts (category_id, locale, name, description)
                        VALUES (\(bind: id), \(bind: locale.rawValue), \(bind: names[locale] ?? slug), \(bind: descriptions[locale] ?? ""))
                        """
                    ).run()
                }
                if var audit {
                    audit.subjectId = id
                    try await insertAudit(audit, on: sql)
                }
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("slug")
        }
        return HelpCategory(id: id, slug: slug, position: position, names: names, descriptions: descriptions)
    }

    public func helpCategories() async throws -> [HelpCategory] {
        try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT c.id, c.slug, c.position, t.locale, t.name, t.description FROM help_categories c
                JOIN help_category_texts t ON t.category_id = c.id ORDER BY c.position, c.slug, t.locale
                """
            ).all()
            var order: [String] = []
            var found: [String: HelpCategory] = [:]
            for row in rows {
                let id = try row.string("id")
                let locale = try row.enumValue("locale", as: HelpLocale.self)
                if found[id] == nil {
                    order.append(id)
                    found[id] = HelpCategory(id: id, slug: try row.string("slug"), position: try row.decode(column: "position", as: Int.self), names: [:], descriptions: [:])
                }
                found[id]?.names[locale] = try row.string("name")
                found[id]?.descriptions[locale] = try row.string("description")
            }
            return order.compactMap { found[$0] }
        }
    }

    static func insertHelpVersion(_ id: String, version: Int, content: ArticleContent, agent: AgentID, at: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO help_article_versions (article_id, version, category_id, agent_id, created_at)
            VALUES (\(bind: id), \(bind: version), \(bind: content.categoryId), \(bind: agent.rawValue), \(bind: at))
            """
        ).run()
        for (locale, text) in content.translations.sorted(by: { $0.key < $1.key }) {
            let rendered = content.rendering(locale)
            let headings = String(decoding: try JSONEncoder.sorted.encode(rendered.headings), as: UTF8.self)
            try await sql.raw(
                """
                INSERT INTO help_article_texts (article_id, version, locale, title, body, html, headings, plain_text)
                VALUES (\(bind: id), \(bind: version), \(bind: locale.rawValue), \(bind: text.title), \(bind: text.body), \(bind: rendered.html),
                    \(bind: headings), \(bind: rendered.plainText))
                """
            ).run()
        }
    }

    public func createHelpArticle(
        slug: String, content: ArticleContent, by agent: AgentID, publish documents: [HelpSearchDocument]?, audit: AuditEvent?
    ) async throws -> HelpArticle {
        let id = UUID().uuidString.lowercased()
        let at = Clock.millis(now())
        let flavor = self.flavor
        do {
            try await database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO help_articles (id, slug, category_id, status, latest_version, created_by, created_at, updated_at)
                    VALUES (\(bind: id), \(bind: slug), \(bind: content.categoryId), 'draft', 1, \(bind: agent.rawValue), \(bind: at), \(bind: at))
                    """
                ).run()
                try await Self.insertHelpVersion(id, version: 1, content: content, agent: agent, at: at, on: sql)
                if let documents {
                    try await Self.goLive(id, version: 1, categoryId: content.categoryId, documents: documents, at: at, flavor: flavor, on: sql)
                }
                if var audit {
                    audit.subjectId = id
                    try await insertAudit(audit, on: sql)
                }
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("slug")
        }
        guard let article = try await helpArticle(id: id) else { throw StoreError.notFound("article") }
        return article
    }

    public func saveHelpArticle(id: String, content: ArticleContent, expectedVersion: Int?, by agent: AgentID, audit: AuditEvent?) async throws -> HelpArticle {
        let at = Clock.millis(now())
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT latest_version, status FROM help_articles WHERE id = \(bind: id)").first() else {
                throw StoreError.notFound("article")
            }
            let latest = try row.decode(column: "latest_version", as: Int.self)
            if let expectedVersion, expectedVersion != latest { throw StoreError.conflict("article") }
            // The version in the WHERE makes two saves at once one win and one conflict, on SQLite too.
            let status = try row.enumValue("status", as: HelpArticleStatus.self)
            let category: SQLQueryString = status == .published ? "" : ", category_id = \(bind: content.categoryId)"
            guard
                try await sql.raw(
                    """
                    UPDATE help_articles SET latest_version = \(bind: latest + 1), updated_at = \(bind: at)\(category)
                    WHERE id = \(bind: id) AND latest_version = \(bind: latest) RETURNING id
                    """
                ).first() != nil
            else { throw StoreError.conflict("article") }
            try await Self.insertHelpVersion(id, version: latest + 1, content: content, agent: agent, at: at, on: sql)
            if let audit { try await insertAudit(audit, on: sql) }
        }
        guard let article = try await helpArticle(id: id) else { throw StoreError.notFound("article") }
        return article
    }

    public func publishHelpArticle(id: String, version: Int, documents: [HelpSearchDocument], audit: AuditEvent?) async throws -> HelpArticle {
        let at = Clock.millis(now())
        let flavor = self.flavor
        try await database.write { sql in
            guard
                let row = try await sql.raw("SELECT category_id FROM help_article_versions WHERE article_id = \(bind: id) AND version = \(bind: version)").first()
            else { throw StoreError.notFound("article") }
            try await Self.goLive(id, version: version, categoryId: try row.optionalString("category_id"), documents: documents, at: at, flavor: flavor, on: sql)
            if let audit { try await insertAudit(audit, on: sql) }
        }
        guard let article = try await helpArticle(id: id) else { throw StoreError.notFound("article") }
        return article
    }

    /// Marks `version` live and swaps the search documents, in the caller's transaction.
    static func goLive(
        _ id: String, version: Int, categoryId: String?, documents: [HelpSearchDocument], at: Int64, flavor: SQLFlavor, on sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            UPDATE help_articles SET status = 'published', live_version = \(bind: version), category_id = \(bind: categoryId),
                published_at = \(bind: at), updated_at = \(bind: at) WHERE id = \(bind: id)
            """
        ).run()
        try await sql.raw("UPDATE help_article_versions SET published_at = \(bind: at) WHERE article_id = \(bind: id) AND version = \(bind: version)").run()
        try await removeSearchDocuments(of: id, flavor: flavor, on: sql)
        for document in documents { try await insertSearchDocument(document, of: id, at: at, flavor: flavor, on: sql) }
    }

    public func unpublishHelpArticle(id: String, audit: AuditEvent?) async throws -> HelpArticle {
        let at = Clock.millis(now())
        let flavor = self.flavor
        try await database.write { sql in
            guard
                try await sql.raw(
                    """
                    UPDATE help_articles SET status = 'unpublished', live_version = NULL, updated_at = \(bind: at)
                    WHERE id = \(bind: id) AND status = 'published' RETURNING id
                    """
                ).first() != nil
            else {
                if try await sql.raw("SELECT id FROM help_articles WHERE id = \(bind: id)").first() == nil { throw StoreError.notFound("article") }
                throw StoreError.conflict("article")
            }
            try await Self.removeSearchDocuments(of: id, flavor: flavor, on: sql)
            if let audit { try await insertAudit(audit, on: sql) }
        }
        guard let article = try await helpArticle(id: id) else { throw StoreError.notFound("article") }
        return article
    }

    public func helpArticle(id: String) async throws -> HelpArticle? {
        try await database.read { sql in
            try Self.helpArticles(from: try await sql.raw("\(unsafeRaw: Self.helpArticleQuery(version: "latest_version")) WHERE a.id = \(bind: id)").all()).first
        }
    }

    public func helpArticle(slug: String) async throws -> HelpArticle? {
        try await database.read { sql in
            try Self.helpArticles(from: try await sql.raw("\(unsafeRaw: Self.helpArticleQuery(version: "latest_version")) WHERE a.slug = \(bind: slug)").all()).first
        }
    }

    public func liveHelpArticle(slug: String) async throws -> HelpArticle? {
        try await database.read { sql in
            try Self.helpArticles(
                from: try await sql.raw("\(unsafeRaw: Self.helpArticleQuery(version: "live_version")) WHERE a.slug = \(bind: slug) AND a.status = 'published'").all()
            ).first
        }
    }

    public func liveHelpArticles(categoryId: String?, order: HelpArticleOrder, limit: Int) async throws -> [HelpArticle] {
        try await database.read { sql in
            let sort =
                switch order {
                case .position: "a.created_at, a.slug"
                case .popular: "a.views + 20 * (a.helpful_yes - a.helpful_no) DESC, a.created_at, a.slug"
                case .recent: "a.published_at DESC, a.slug"
                }
            let category: SQLQueryString = categoryId.map { " AND a.category_id = \(bind: $0)" } ?? ""
            return try Self.helpArticles(
                from: try await sql.raw(
                    """
                    \(unsafeRaw: Self.helpArticleQuery(version: "live_version"))
                    WHERE a.id IN (SELECT a.id FROM help_articles a WHERE a.status = 'published'\(category) ORDER BY \(unsafeRaw: sort) LIMIT \(bind: limit))
                    ORDER BY \(unsafeRaw: sort), t.locale
                    """
                ).all())
        }
    }

    public func helpArticles(limit: Int) async throws -> [HelpArticle] {
        try await database.read { sql in
            try Self.helpArticles(
                from: try await sql.raw(
                    """
                    \(unsafeRaw: Self.helpArticleQuery(version: "latest_version"))
                    WHERE a.id IN (SELECT id FROM help_articles ORDER BY updated_at DESC, id LIMIT \(bind: limit))
                    ORDER BY a.updated_at DESC, a.id, t.locale
                    """
                ).all())
        }
    }

    public func helpArticleVersions(id: String) async throws -> [HelpArticleVersion] {
        try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT v.version, v.category_id, v.agent_id, v.created_at, v.published_at, t.locale, t.title, t.body, t.html, t.headings, t.plain_text
                FROM help_article_versions v JOIN help_article_texts t ON t.article_id = v.article_id AND t.version = v.version
                WHERE v.article_id = \(bind: id) ORDER BY v.version DESC, t.locale
                """
            ).all()
            return try Self.versions(from: rows)
        }
    }

    public func helpArticleVersion(id: String, version: Int) async throws -> HelpArticleVersion? {
        try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT v.version, v.category_id, v.agent_id, v.created_at, v.published_at, t.locale, t.title, t.body, t.html, t.headings, t.plain_text
                FROM help_article_versions v JOIN help_article_texts t ON t.article_id = v.article_id AND t.version = v.version
                WHERE v.article_id = \(bind: id) AND v.version = \(bind: version) ORDER BY t.locale
                """
            ).all()
            return try Self.versions(from: rows).first
        }
    }

    static func versions(from rows: [any SQLRow]) throws -> [HelpArticleVersion] {
        var result: [HelpArticleVersion] = []
        for row in rows {
            let version = try row.decode(column: "version", as: Int.self)
            let locale = try row.enumValue("locale", as: HelpLocale.self)
            let text = ArticleTranslation(title: try row.string("title"), body: try row.string("body"))
            let rendered = try Self.rendered(from: row)
            if result.last?.version == version {
                result[result.count - 1].content.translations[locale] = text
                result[result.count - 1].content.rendered[locale] = rendered
                continue
            }
            result.append(
                HelpArticleVersion(
                    version: version,
                    content: ArticleContent(categoryId: try row.optionalString("category_id"), translations: [locale: text], rendered: [locale: rendered]),
                    agentId: AgentID(rawValue: try row.string("agent_id")), createdAt: try row.date("created_at"), publishedAt: try row.optionalDate("published_at")))
        }
        return result
    }

    public func recordHelpView(articleId: String) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE help_articles SET views = views + 1 WHERE id = \(bind: articleId) AND status = 'published'").run()
        }
    }

    public func recordHelpVote(articleId: String, locale: HelpLocale, helpful: Bool, comment: String?, voter: String) async throws -> (yes: Int, no: Int) {
        let at = Clock.millis(now())
        return try await database.write { sql in
            guard try await sql.raw("SELECT id FROM help_articles WHERE id = \(bind: articleId) AND status = 'published'").first() != nil else {
                throw StoreError.notFound("article")
            }
            // A voter's second answer replaces the first; the counts are recomputed, not nudged,
            // so they cannot drift under parallel votes.
            try await sql.raw(
                """
                INSERT INTO help_votes (id, article_id, locale, helpful, comment, voter, created_at)
                VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: articleId), \(bind: locale.rawValue), \(helpful), \(bind: comment), \(bind: voter), \(bind: at))
                ON CONFLICT (article_id, voter) DO UPDATE SET helpful = excluded.helpful, locale = excluded.locale,
                    comment = COALESCE(excluded.comment, help_votes.comment), created_at = excluded.created_at
                """
            ).run()
            guard
                let row = try await sql.raw(
                    """
                    UPDATE help_articles SET
                        helpful_yes = (SELECT COUNT(*) FROM help_votes WHERE article_id = \(bind: articleId) AND helpful = \(true)),
                        helpful_no = (SELECT COUNT(*) FROM help_votes WHERE article_id = \(bind: articleId) AND helpful = \(false))
                    WHERE id = \(bind: articleId) RETURNING helpful_yes, helpful_no
                    """
                ).first()
            else { throw StoreError.notFound("article") }
            return (try row.decode(column: "helpful_yes", as: Int.self), try row.decode(column: "helpful_no", as: Int.self))
        }
    }

    public func helpVotes(articleId: String?, limit: Int) async throws -> [HelpVote] {
        try await database.read { sql in
            let filter: SQLQueryString = articleId.map { "WHERE v.article_id = \(bind: $0)" } ?? ""
            return try await sql.raw(
                """
                SELECT v.article_id, a.slug, v.locale, v.helpful, v.comment, v.created_at FROM help_votes v
                JOIN help_articles a ON a.id = v.article_id \(filter) ORDER BY v.created_at DESC, v.id LIMIT \(bind: limit)
                """
            ).all().map { row in
                HelpVote(
                    articleId: try row.string("article_id"), slug: try row.string("slug"), locale: try row.enumValue("locale", as: HelpLocale.self),
                    helpful: try row.bool("helpful"), comment: try row.optionalString("comment"), createdAt: try row.date("created_at"))
            }
        }
    }
}
