import Foundation
import KefuCore
import SQLKit

/// The feedback board's rows: counts kept in the transactions that change them, the post's
/// row locked first (PostgreSQL writes in parallel), so parallel votes never lose one.
extension SQLStore: FeedbackRepository {
    static let feedbackColumns = """
        id, number, kind, title, body, status, author_account_id, author_name, source, votes, comments, hidden, locked, merged_into, locale,
        created_at, updated_at
        """

    static func feedbackPost(from row: any SQLRow) throws -> FeedbackPost {
        FeedbackPost(
            id: FeedbackPostID(rawValue: try row.string("id")), number: try row.int64("number"), kind: try row.enumValue("kind", as: FeedbackKind.self),
            title: try row.string("title"), body: try row.string("body"), status: try row.enumValue("status", as: FeedbackStatus.self),
            authorAccountId: try row.optionalString("author_account_id").map(AccountID.init(rawValue:)), authorName: try row.string("author_name"),
            source: try row.string("source"), votes: try row.decode(column: "votes", as: Int.self), comments: try row.decode(column: "comments", as: Int.self),
            hidden: try row.bool("hidden"), locked: try row.bool("locked"),
            mergedInto: try row.optionalString("merged_into").map(FeedbackPostID.init(rawValue:)), locale: try row.string("locale"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }

    static func loadFeedbackPost(_ id: String, on sql: any SQLDatabase) async throws -> FeedbackPost? {
        try await sql.raw("SELECT \(unsafeRaw: feedbackColumns) FROM feedback_posts WHERE id = \(bind: id)").first().map(feedbackPost(from:))
    }

    /// Locks the post's row and reads it (the first statement of every write to a post).
    static func lockFeedbackPost(_ id: String, on sql: any SQLDatabase) async throws -> FeedbackPost {
        guard try await sql.raw("UPDATE feedback_posts SET votes = votes WHERE id = \(bind: id) RETURNING id").first() != nil,
            let post = try await loadFeedbackPost(id, on: sql)
        else { throw StoreError.notFound("post") }
        return post
    }

    public func createFeedbackPost(
        kind: FeedbackKind, title: String, body: String, author: AccountID?, authorName: String, source: String, locale: String,
        linkTo conversation: ConversationID?, linkedBy: String?, limit: FeedbackWriteLimit?
    ) async throws -> FeedbackPost {
        let at = Clock.millis(now())
        let id = FeedbackPostID.generate()
        return try await database.write { sql in
            try await Self.spend(limit, on: sql)
            guard let number = try await sql.raw("UPDATE counters SET value = value + 1 WHERE name = 'feedback_number' RETURNING value").first()?.int64("value")
            else { throw StoreError.notFound("counter") }
            try await sql.raw(
                """
                INSERT INTO feedback_posts (id, number, kind, title, body, status, author_account_id, author_name, source, locale, created_at, updated_at)
                VALUES (\(bind: id.rawValue), \(bind: number), \(bind: kind.rawValue), \(bind: title), \(bind: body), 'open', \(bind: author?.rawValue),
                    \(bind: authorName), \(bind: source), \(bind: locale), \(bind: at), \(bind: at))
                """
            ).run()
            // The author's own vote comes with the post.
            if let author {
                try await sql.raw("INSERT INTO feedback_votes (post_id, account_id, created_at) VALUES (\(bind: id.rawValue), \(bind: author.rawValue), \(bind: at))").run()
                try await sql.raw("UPDATE feedback_posts SET votes = 1 WHERE id = \(bind: id.rawValue)").run()
            }
            if let conversation, let linkedBy {
                try await sql.raw(
                    """
                    INSERT INTO feedback_links (post_id, conversation_id, linked_by, created_at)
                    VALUES (\(bind: id.rawValue), \(bind: conversation.rawValue), \(bind: linkedBy), \(bind: at))
                    """
                ).run()
            }
            guard let post = try await Self.loadFeedbackPost(id.rawValue, on: sql) else { throw StoreError.notFound("post") }
            return post
        }
    }

    public func feedbackPost(id: FeedbackPostID) async throws -> FeedbackPost? {
        try await database.read { sql in try await Self.loadFeedbackPost(id.rawValue, on: sql) }
    }

    public func feedbackPost(number: Int64) async throws -> FeedbackPost? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.feedbackColumns) FROM feedback_posts WHERE number = \(bind: number)").first().map(Self.feedbackPost(from:))
        }
    }

    public func feedbackPosts(_ query: FeedbackQuery) async throws -> [FeedbackPost] {
        var filter: SQLQueryString = query.includeHidden ? "1 = 1" : "hidden = \(bind: false) AND merged_into IS NULL"
        if let status = query.status { filter = "\(filter) AND status = \(bind: status.rawValue)" }
        if let kind = query.kind { filter = "\(filter) AND kind = \(bind: kind.rawValue)" }
        let order = query.order == .top ? "votes DESC, created_at DESC, id" : "created_at DESC, id"
        let chosen = filter
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.feedbackColumns) FROM feedback_posts WHERE \(chosen)
                ORDER BY \(unsafeRaw: order) LIMIT \(bind: max(1, min(query.limit, 100))) OFFSET \(bind: max(0, query.offset))
                """
            ).all().map(Self.feedbackPost(from:))
        }
    }

    static func feedbackComment(from row: any SQLRow) throws -> FeedbackComment {
        FeedbackComment(
            id: FeedbackCommentID(rawValue: try row.string("id")), postId: FeedbackPostID(rawValue: try row.string("post_id")),
            authorKind: try row.enumValue("author_kind", as: FeedbackComment.AuthorKind.self), authorId: try row.string("author_id"),
            authorName: try row.string("author_name"), body: try row.string("body"), official: try row.bool("official"), hidden: try row.bool("hidden"),
            createdAt: try row.date("created_at"))
    }

    public func feedbackComments(postId: FeedbackPostID, includeHidden: Bool) async throws -> [FeedbackComment] {
        let filter: SQLQueryString = includeHidden ? "" : "AND hidden = \(bind: false)"
        return try await database.read { sql in
            try await sql.raw("SELECT * FROM feedback_comments WHERE post_id = \(bind: postId.rawValue) \(filter) ORDER BY created_at, id")
                .all().map(Self.feedbackComment(from:))
        }
    }

    public func setFeedbackVote(postId: FeedbackPostID, account: AccountID, on: Bool) async throws -> FeedbackPost {
        let at = Clock.millis(now())
        return try await database.write { sql in
            let post = try await Self.lockFeedbackPost(postId.rawValue, on: sql)
            guard !post.locked, !post.hidden, post.mergedInto == nil else { throw StoreError.conflict("post") }
            if on {
                try await sql.raw(
                    """
                    INSERT INTO feedback_votes (post_id, account_id, created_at) VALUES (\(bind: postId.rawValue), \(bind: account.rawValue), \(bind: at))
                    ON CONFLICT (post_id, account_id) DO NOTHING
                    """
                ).run()
            } else {
                try await sql.raw("DELETE FROM feedback_votes WHERE post_id = \(bind: postId.rawValue) AND account_id = \(bind: account.rawValue)").run()
            }
            // Recounted, not incremented: the count is always the rows.
            try await sql.raw(
                """
                UPDATE feedback_posts SET votes = (SELECT COUNT(*) FROM feedback_votes WHERE post_id = \(bind: postId.rawValue))
                WHERE id = \(bind: postId.rawValue)
                """
            ).run()
            return try await Self.loadFeedbackPost(postId.rawValue, on: sql) ?? post
        }
    }

    public func feedbackVoted(postIds: [FeedbackPostID], account: AccountID) async throws -> Set<FeedbackPostID> {
        guard !postIds.isEmpty else { return [] }
        return try await database.read { sql in
            Set(
                try await sql.raw(
                    "SELECT post_id FROM feedback_votes WHERE account_id = \(bind: account.rawValue) AND post_id IN (\(binds: postIds.map(\.rawValue)))"
                ).all().map { FeedbackPostID(rawValue: try $0.string("post_id")) })
        }
    }

    public func addFeedbackComment(
        postId: FeedbackPostID, authorKind: FeedbackComment.AuthorKind, authorId: String, authorName: String, body: String, official: Bool,
        limit: FeedbackWriteLimit?
    ) async throws -> FeedbackComment {
        let at = Clock.millis(now())
        let id = FeedbackCommentID.generate()
        return try await database.write { sql in
            try await Self.spend(limit, on: sql)
            let post = try await Self.lockFeedbackPost(postId.rawValue, on: sql)
            // Agents may still answer a locked post; customers may not write on it.
            guard !post.hidden, post.mergedInto == nil, !post.locked || authorKind == .agent else { throw StoreError.conflict("post") }
            try await sql.raw(
                """
                INSERT INTO feedback_comments (id, post_id, author_kind, author_id, author_name, body, official, created_at)
                VALUES (\(bind: id.rawValue), \(bind: postId.rawValue), \(bind: authorKind.rawValue), \(bind: authorId), \(bind: authorName),
                    \(bind: body), \(bind: official), \(bind: at))
                """
            ).run()
            try await sql.raw("UPDATE feedback_posts SET comments = comments + 1, updated_at = \(bind: at) WHERE id = \(bind: postId.rawValue)").run()
            guard let row = try await sql.raw("SELECT * FROM feedback_comments WHERE id = \(bind: id.rawValue)").first() else {
                throw StoreError.notFound("comment")
            }
            return try Self.feedbackComment(from: row)
        }
    }

    public func setFeedbackStatus(postId: FeedbackPostID, status: FeedbackStatus, audit: AuditEvent) async throws -> (FeedbackPost, [FeedbackFollower]) {
        let at = Clock.millis(now())
        return try await database.write { sql in
            let post = try await Self.lockFeedbackPost(postId.rawValue, on: sql)
            // A merged duplicate is closed: its voters follow the post it joined.
            guard post.mergedInto == nil else { throw StoreError.conflict("post") }
            guard post.status != status else { return (post, []) }
            try await sql.raw(
                """
                UPDATE feedback_posts SET status = \(bind: status.rawValue), status_changed_at = \(bind: at), updated_at = \(bind: at)
                WHERE id = \(bind: postId.rawValue)
                """
            ).run()
            try await insertAudit(audit, on: sql)
            let followers = try await sql.raw(
                """
                SELECT DISTINCT a.id, a.email, a.locale FROM accounts a
                WHERE a.id IN (SELECT account_id FROM feedback_votes WHERE post_id = \(bind: postId.rawValue))
                    OR a.id = \(bind: post.authorAccountId?.rawValue ?? "")
                ORDER BY a.id
                """
            ).all().map {
                FeedbackFollower(accountId: AccountID(rawValue: try $0.string("id")), email: try $0.string("email"), locale: try $0.optionalString("locale"))
            }
            return (try await Self.loadFeedbackPost(postId.rawValue, on: sql) ?? post, followers)
        }
    }

    public func moderateFeedbackPost(postId: FeedbackPostID, hidden: Bool?, locked: Bool?, audit: AuditEvent) async throws -> FeedbackPost {
        let at = Clock.millis(now())
        return try await database.write { sql in
            let post = try await Self.lockFeedbackPost(postId.rawValue, on: sql)
            guard post.mergedInto == nil else { throw StoreError.conflict("post") }
            try await sql.raw(
                """
                UPDATE feedback_posts SET hidden = \(bind: hidden ?? post.hidden), locked = \(bind: locked ?? post.locked), updated_at = \(bind: at)
                WHERE id = \(bind: postId.rawValue)
                """
            ).run()
            try await insertAudit(audit, on: sql)
            return try await Self.loadFeedbackPost(postId.rawValue, on: sql) ?? post
        }
    }

    public func hideFeedbackComment(id: FeedbackCommentID, hidden: Bool, audit: AuditEvent) async throws -> Bool {
        let at = Clock.millis(now())
        return try await database.write { sql in
            guard let postId = try await sql.raw("SELECT post_id FROM feedback_comments WHERE id = \(bind: id.rawValue)").first()?.string("post_id")
            else { return false }
            // The post's count is what readers see: hidden comments do not count.
            _ = try await Self.lockFeedbackPost(postId, on: sql)
            try await sql.raw("UPDATE feedback_comments SET hidden = \(bind: hidden) WHERE id = \(bind: id.rawValue)").run()
            try await sql.raw(
                """
                UPDATE feedback_posts SET comments = (SELECT COUNT(*) FROM feedback_comments WHERE post_id = \(bind: postId) AND hidden = \(bind: false)),
                    updated_at = \(bind: at)
                WHERE id = \(bind: postId)
                """
            ).run()
            try await insertAudit(audit, on: sql)
            return true
        }
    }

    public func mergeFeedbackPost(postId: FeedbackPostID, into target: FeedbackPostID, audit: AuditEvent) async throws -> FeedbackPost {
        let at = Clock.millis(now())
        return try await database.write { sql in
            guard postId != target else { throw StoreError.conflict("post") }
            // Both rows locked in one order (by id), so two merges the other way round cannot deadlock.
            for id in [postId.rawValue, target.rawValue].sorted() { _ = try await Self.lockFeedbackPost(id, on: sql) }
            guard let duplicate = try await Self.loadFeedbackPost(postId.rawValue, on: sql),
                let kept = try await Self.loadFeedbackPost(target.rawValue, on: sql)
            else { throw StoreError.notFound("post") }
            guard duplicate.mergedInto == nil, kept.mergedInto == nil else { throw StoreError.conflict("post") }
            try await sql.raw(
                """
                INSERT INTO feedback_votes (post_id, account_id, created_at)
                SELECT \(bind: target.rawValue), account_id, created_at FROM feedback_votes WHERE post_id = \(bind: postId.rawValue)
                ON CONFLICT (post_id, account_id) DO NOTHING
                """
            ).run()
            // Votes move: counted once, on the kept post (reports count vote rows).
            try await sql.raw("DELETE FROM feedback_votes WHERE post_id = \(bind: postId.rawValue)").run()
            try await sql.raw(
                """
                INSERT INTO feedback_links (post_id, conversation_id, linked_by, created_at)
                SELECT \(bind: target.rawValue), conversation_id, linked_by, created_at FROM feedback_links WHERE post_id = \(bind: postId.rawValue)
                ON CONFLICT (post_id, conversation_id) DO NOTHING
                """
            ).run()
            try await sql.raw(
                """
                UPDATE feedback_posts SET votes = (SELECT COUNT(*) FROM feedback_votes WHERE post_id = \(bind: target.rawValue)), updated_at = \(bind: at)
                WHERE id = \(bind: target.rawValue)
                """
            ).run()
            try await sql.raw(
                """
                UPDATE feedback_posts SET merged_into = \(bind: target.rawValue), locked = \(bind: true), votes = 0, updated_at = \(bind: at)
                WHERE id = \(bind: postId.rawValue)
                """
            ).run()
            try await insertAudit(audit, on: sql)
            return try await Self.loadFeedbackPost(target.rawValue, on: sql) ?? kept
        }
    }

    public func linkFeedbackPost(postId: FeedbackPostID, conversation: ConversationID, by agent: AgentID) async throws {
        try await database.write { sql in
            _ = try await Self.lockFeedbackPost(postId.rawValue, on: sql)
            guard try await sql.raw("SELECT id FROM conversations WHERE id = \(bind: conversation.rawValue)").first() != nil else {
                throw StoreError.notFound("conversation")
            }
            try await sql.raw(
                """
                INSERT INTO feedback_links (post_id, conversation_id, linked_by, created_at)
                VALUES (\(bind: postId.rawValue), \(bind: conversation.rawValue), \(bind: agent.rawValue), \(bind: Clock.millis(now())))
                ON CONFLICT (post_id, conversation_id) DO NOTHING
                """
            ).run()
        }
    }

    public func feedbackLinks(postId: FeedbackPostID) async throws -> [ConversationID] {
        try await database.read { sql in
            try await sql.raw("SELECT conversation_id FROM feedback_links WHERE post_id = \(bind: postId.rawValue) ORDER BY created_at")
                .all().map { ConversationID(rawValue: try $0.string("conversation_id")) }
        }
    }

    public func feedbackPosts(linkedTo conversation: ConversationID) async throws -> [FeedbackPost] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.feedbackColumns) FROM feedback_posts
                WHERE id IN (SELECT post_id FROM feedback_links WHERE conversation_id = \(bind: conversation.rawValue)) ORDER BY created_at
                """
            ).all().map(Self.feedbackPost(from:))
        }
    }

    public func feedbackActivity(from: Date, to: Date) async throws -> (posts: Int, votes: Int, comments: Int) {
        let (start, end) = (Clock.millis(from), Clock.millis(to))
        return try await database.read { sql in
            func count(_ table: String) async throws -> Int {
                try await sql.raw(
                    "SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE created_at >= \(bind: start) AND created_at < \(bind: end)"
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            return (try await count("feedback_posts"), try await count("feedback_votes"), try await count("feedback_comments"))
        }
    }
}
