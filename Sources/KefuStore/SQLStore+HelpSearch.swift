import Foundation
import KefuCore
import SQLKit

/// Help search on both databases: the same Swift-made terms, indexed by FTS5 on SQLite and a
/// GIN `tsvector` on PostgreSQL, title weighted above body.
extension SQLStore: HelpSearchRepository {
    static func insertSearchDocument(_ document: HelpSearchDocument, of articleId: String, at: Int64, flavor: SQLFlavor, on sql: any SQLDatabase) async throws {
        let title = document.titleTerms.joined(separator: " ")
        let body = document.bodyTerms.joined(separator: " ")
        let words = Array(Set(document.words)).sorted()
        switch flavor {
        case .sqlite:
            guard
                let row = try await sql.raw(
                    """
                    INSERT INTO help_search_docs (article_id, locale, title, plain_text, words, updated_at)
                    VALUES (\(bind: articleId), \(bind: document.locale.rawValue), \(bind: document.title), \(bind: document.plainText),
                        \(bind: words.joined(separator: " ")), \(bind: at)) RETURNING doc_id
                    """
                ).first()
            else { throw StoreError.notFound("search document") }
            let docId = try row.int64("doc_id")
            try await sql.raw("INSERT INTO help_search_fts (rowid, title, body) VALUES (\(bind: docId), \(bind: title), \(bind: body))").run()
        case .postgres:
            try await sql.raw(
                """
                INSERT INTO help_search_docs (article_id, locale, title, plain_text, words, updated_at, title_document, document)
                VALUES (\(bind: articleId), \(bind: document.locale.rawValue), \(bind: document.title), \(bind: document.plainText),
                    \(bind: words.joined(separator: " ")), \(bind: at), to_tsvector('simple', \(bind: title)),
                    setweight(to_tsvector('simple', \(bind: title)), 'A') || setweight(to_tsvector('simple', \(bind: body)), 'D'))
                """
            ).run()
        }
        for chunk in words.chunked(400) {
            let values = chunk.map { "(\(bind: $0), 1)" as SQLQueryString }.joined(separator: ", ")
            try await sql.raw(
                "INSERT INTO help_words (word, documents) VALUES \(values) ON CONFLICT (word) DO UPDATE SET documents = help_words.documents + 1"
            ).run()
        }
    }

    static func removeSearchDocuments(of articleId: String, flavor: SQLFlavor, on sql: any SQLDatabase) async throws {
        let rows = try await sql.raw("SELECT doc_id, words FROM help_search_docs WHERE article_id = \(bind: articleId)").all()
        for row in rows {
            let words = try row.string("words").split(separator: " ").map(String.init)
            for chunk in words.chunked(400) {
                let list = Array(chunk)
                try await sql.raw("UPDATE help_words SET documents = documents - 1 WHERE word IN (\(binds: list))").run()
                try await sql.raw("DELETE FROM help_words WHERE documents <= 0 AND word IN (\(binds: list))").run()
            }
            if flavor == .sqlite {
                try await sql.raw("DELETE FROM help_search_fts WHERE rowid = \(bind: try row.int64("doc_id"))").run()
            }
        }
        try await sql.raw("DELETE FROM help_search_docs WHERE article_id = \(bind: articleId)").run()
    }

    static let hitColumns = "d.article_id, a.slug, d.locale, d.title, d.plain_text, a.category_id, a.helpful_yes, a.helpful_no, d.updated_at"

    public func searchHelp(_ request: HelpSearchRequest) async throws -> [HelpSearchHit] {
        let terms = request.terms.filter { !$0.isEmpty }
        guard !terms.isEmpty else { return [] }
        let flavor = self.flavor
        let search: @Sendable (any SQLDatabase) async throws -> [HelpSearchHit] = { sql in
            let rows: [any SQLRow]
            switch flavor {
            case .sqlite:
                // Each term quoted: FTS5 reads it as one token, never as query syntax. The ranked
                // LIMIT runs on the FTS table alone, so only the best rows are joined.
                let quoted = terms.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
                let joined = quoted.joined(separator: request.match == .all ? " AND " : " OR ")
                let match = request.titleOnly ? "{title} : (\(joined))" : joined
                rows = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: Self.hitColumns) FROM (
                        SELECT rowid, rank FROM help_search_fts WHERE help_search_fts MATCH \(bind: match) AND rank MATCH 'bm25(10.0, 1.0)'
                        ORDER BY rank LIMIT \(bind: request.limit)
                    ) f
                    JOIN help_search_docs d ON d.doc_id = f.rowid JOIN help_articles a ON a.id = d.article_id
                    ORDER BY f.rank, a.helpful_yes - a.helpful_no DESC, d.updated_at DESC, d.doc_id
                    """
                ).all()
            case .postgres:
                let quoted = terms.map { "'" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'" }
                let query = quoted.joined(separator: request.match == .all ? " & " : " | ")
                let anyTerm = quoted.joined(separator: " | ")
                // A common word matches most documents; checking them row by row reads every
                // row (and, for whole documents, every large vector), while the GIN index's
                // bitmap reads only the matches. The planner does not weigh that, so sequential
                // scans are off for this one transaction (SET LOCAL ends with it).
                try await sql.raw("SET LOCAL enable_seqscan = off").run()
                // The best documents are chosen from the search table alone; the article's details
                // are joined for those only.
                let best: SQLQueryString
                if request.titleOnly {
                    best = """
                        SELECT d.doc_id, ts_rank(d.title_document, q, 1) AS title_score, 0 AS score
                        FROM help_search_docs d, to_tsquery('simple', \(bind: query)) q
                        WHERE d.title_document @@ q ORDER BY title_score DESC, d.updated_at DESC, d.doc_id LIMIT \(bind: request.limit)
                        """
                } else {
                    // Ranking a whole document reads its large vector: only the 200 matches whose
                    // titles hold most of the query are ranked that way, not every match of a
                    // common word.
                    best = """
                        SELECT m.doc_id, m.title_score, ts_rank('{0.1, 0.2, 0.4, 1.0}', d.document, q, 1) AS score
                        FROM (
                            SELECT d.doc_id, ts_rank(d.title_document, qa, 1) AS title_score
                            FROM help_search_docs d, to_tsquery('simple', \(bind: query)) q, to_tsquery('simple', \(bind: anyTerm)) qa
                            WHERE d.document @@ q ORDER BY title_score DESC, d.doc_id LIMIT 200
                        ) m JOIN help_search_docs d ON d.doc_id = m.doc_id, to_tsquery('simple', \(bind: query)) q
                        ORDER BY m.title_score DESC, score DESC, d.updated_at DESC, d.doc_id LIMIT \(bind: request.limit)
                        """
                }
                rows = try await sql.raw(
                    """
                    WITH best AS (\(best))
                    SELECT \(unsafeRaw: Self.hitColumns) FROM best b JOIN help_search_docs d ON d.doc_id = b.doc_id JOIN help_articles a ON a.id = d.article_id
                    ORDER BY b.title_score DESC, b.score DESC, a.helpful_yes - a.helpful_no DESC, d.updated_at DESC, d.doc_id
                    """
                ).all()
            }
            return try rows.map { row in
                HelpSearchHit(
                    articleId: try row.string("article_id"), slug: try row.string("slug"), locale: try row.enumValue("locale", as: HelpLocale.self),
                    title: try row.string("title"), plainText: try row.string("plain_text"), categoryId: try row.optionalString("category_id"),
                    helpfulYes: try row.decode(column: "helpful_yes", as: Int.self), helpfulNo: try row.decode(column: "helpful_no", as: Int.self),
                    updatedAt: try row.date("updated_at"))
            }
        }
        // On PostgreSQL in a transaction of its own (for SET LOCAL); it writes nothing.
        return flavor == .postgres ? try await database.write(search) : try await database.read(search)
    }

    public func knownHelpWords(_ words: [String]) async throws -> Set<String> {
        guard !words.isEmpty else { return [] }
        return try await database.read { sql in
            let list = Array(words.prefix(64))
            return Set(try await sql.raw("SELECT word FROM help_words WHERE word IN (\(binds: list))").all().map { try $0.string("word") })
        }
    }

    public func helpWords(lengths: ClosedRange<Int>, near word: String, limit: Int) async throws -> [(word: String, documents: Int)] {
        // A typo seldom hits both of a word's first two letters: candidates share one of them.
        let first = String(word.prefix(1))
        let second = String(word.dropFirst().prefix(1))
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT word, documents FROM help_words WHERE length(word) BETWEEN \(bind: lengths.lowerBound) AND \(bind: lengths.upperBound)
                    AND (substr(word, 1, 1) = \(bind: first) OR substr(word, 2, 1) = \(bind: second))
                ORDER BY documents DESC, word LIMIT \(bind: limit)
                """
            ).all().map { (try $0.string("word"), try $0.decode(column: "documents", as: Int.self)) }
        }
    }

    public func recordHelpSearchMiss(query: String, locale: String) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO help_search_misses (query, locale, searches, first_at, last_at) VALUES (\(bind: query), \(bind: locale), 1, \(bind: at), \(bind: at))
                ON CONFLICT (query, locale) DO UPDATE SET searches = help_search_misses.searches + 1, last_at = excluded.last_at
                """
            ).run()
        }
    }

    public func helpSearchMisses(limit: Int) async throws -> [HelpSearchMiss] {
        try await database.read { sql in
            try await sql.raw(
                "SELECT query, locale, searches, last_at FROM help_search_misses ORDER BY searches DESC, last_at DESC LIMIT \(bind: limit)"
            ).all().map { row in
                HelpSearchMiss(
                    query: try row.string("query"), locale: try row.string("locale"), searches: try row.decode(column: "searches", as: Int.self),
                    lastAt: try row.date("last_at"))
            }
        }
    }

    public func recordHelpDeflection(articleId: String, widgetSessionId: String?, outcome: HelpDeflectionOutcome) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            guard try await sql.raw("SELECT id FROM help_articles WHERE id = \(bind: articleId)").first() != nil else { throw StoreError.notFound("article") }
            try await sql.raw(
                """
                INSERT INTO help_deflections (article_id, widget_session_id, outcome, created_at)
                VALUES (\(bind: articleId), \(bind: widgetSessionId), \(bind: outcome.rawValue), \(bind: at))
                """
            ).run()
        }
    }

    public func helpDeflectionCounts(since: Date) async throws -> [HelpDeflectionOutcome: Int] {
        try await database.read { sql in
            var counts: [HelpDeflectionOutcome: Int] = [:]
            for row in try await sql.raw(
                "SELECT outcome, COUNT(*) AS n FROM help_deflections WHERE created_at >= \(bind: Clock.millis(since)) GROUP BY outcome"
            ).all() {
                counts[try row.enumValue("outcome", as: HelpDeflectionOutcome.self)] = try row.decode(column: "n", as: Int.self)
            }
            return counts
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
