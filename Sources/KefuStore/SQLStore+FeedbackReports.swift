import Foundation
import KefuCore
import SQLKit

/// The board's abuse reports and its writers' hourly budget (posts, comments and reports), spent
/// inside the writing transaction.
extension SQLStore {
    public func reportFeedback(
        postId: FeedbackPostID, commentId: FeedbackCommentID?, account: AccountID?, reason: String, limit: FeedbackWriteLimit?
    ) async throws {
        try await database.write { sql in
            guard try await Self.loadFeedbackPost(postId.rawValue, on: sql) != nil else { throw StoreError.notFound("post") }
            if let commentId {
                guard try await sql.raw(
                    "SELECT id FROM feedback_comments WHERE id = \(bind: commentId.rawValue) AND post_id = \(bind: postId.rawValue)"
                ).first() != nil else { throw StoreError.notFound("comment") }
            }
            try await Self.spend(limit, on: sql)
            if let account {
                let onComment: SQLQueryString = commentId.map { "comment_id = \(bind: $0.rawValue)" } ?? "comment_id IS NULL"
                let open = try await sql.raw(
                    """
                    SELECT id FROM feedback_reports
                    WHERE account_id = \(bind: account.rawValue) AND post_id = \(bind: postId.rawValue) AND \(onComment) AND resolved_at IS NULL
                    """
                ).first()
                if open != nil { return }
            }
            try await sql.raw(
                """
                INSERT INTO feedback_reports (post_id, comment_id, account_id, reason, created_at)
                VALUES (\(bind: postId.rawValue), \(bind: commentId?.rawValue), \(bind: account?.rawValue), \(bind: reason), \(bind: Clock.millis(now())))
                """
            ).run()
        }
    }

    public func openFeedbackReports(postId: FeedbackPostID?, limit: Int, offset: Int) async throws -> [FeedbackReport] {
        let onPost: SQLQueryString = postId.map { "AND post_id = \(bind: $0.rawValue)" } ?? ""
        return try await database.read { sql in
            try await sql.raw(
                "SELECT * FROM feedback_reports WHERE resolved_at IS NULL \(onPost) ORDER BY created_at, id LIMIT \(bind: limit) OFFSET \(bind: offset)"
            ).all().map {
                FeedbackReport(
                    id: try $0.int64("id"), postId: FeedbackPostID(rawValue: try $0.string("post_id")),
                    commentId: try $0.optionalString("comment_id").map(FeedbackCommentID.init(rawValue:)), reason: try $0.string("reason"),
                    createdAt: try $0.date("created_at"))
            }
        }
    }

    public func openFeedbackReportCount() async throws -> Int {
        try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM feedback_reports WHERE resolved_at IS NULL").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    public func resolveFeedbackReport(id: Int64, by agent: AgentID) async throws -> Bool {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE feedback_reports SET resolved_at = \(bind: Clock.millis(now())), resolved_by = \(bind: agent.rawValue)
                WHERE id = \(bind: id) AND resolved_at IS NULL RETURNING id
                """
            ).first() != nil
        }
    }

    public func feedbackWrites(account: AccountID, since: Date) async throws -> Int {
        try await database.read { sql in try await Self.feedbackWrites(account: account, since: since, on: sql) }
    }

    static func feedbackWrites(account: AccountID, since: Date, on sql: any SQLDatabase) async throws -> Int {
        let at = Clock.millis(since)
        return try await sql.raw(
            """
            SELECT (SELECT COUNT(*) FROM feedback_posts
                    WHERE author_account_id = \(bind: account.rawValue) AND source <> 'conversation' AND created_at >= \(bind: at))
                + (SELECT COUNT(*) FROM feedback_comments
                    WHERE author_kind = 'customer' AND author_id = \(bind: account.rawValue) AND created_at >= \(bind: at))
                + (SELECT COUNT(*) FROM feedback_reports WHERE account_id = \(bind: account.rawValue) AND created_at >= \(bind: at)) AS n
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Takes one write from the account's budget inside the writing transaction: the account's
    /// row is locked first (PostgreSQL runs writers in parallel; SQLite has one), then counted.
    static func spend(_ limit: FeedbackWriteLimit?, on sql: any SQLDatabase) async throws {
        guard let limit else { return }
        guard try await sql.raw("UPDATE accounts SET tier = tier WHERE id = \(bind: limit.account.rawValue) RETURNING id").first() != nil else {
            throw StoreError.notFound("account")
        }
        if try await feedbackWrites(account: limit.account, since: limit.since, on: sql) >= limit.max {
            throw StoreError.conflict(FeedbackWriteLimit.spent)
        }
    }
}
