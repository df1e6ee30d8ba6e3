import Foundation
import KefuCore

/// Which posts a board page lists.
public struct FeedbackQuery: Sendable, Equatable {
    public enum Order: String, Sendable, CaseIterable {
        case top
        case newest
    }

    public var status: FeedbackStatus?
    public var kind: FeedbackKind?
    public var order: Order
    /// Agents see hidden posts and merged duplicates too.
    public var includeHidden: Bool
    public var limit: Int
    public var offset: Int

    public init(status: FeedbackStatus? = nil, kind: FeedbackKind? = nil, order: Order = .top, includeHidden: Bool = false, limit: Int = 30, offset: Int = 0) {
        self.status = status
        self.kind = kind
        self.order = order
        self.includeHidden = includeHidden
        self.limit = limit
        self.offset = offset
    }
}

/// Someone to tell that a post moved: its author and its voters.
public struct FeedbackFollower: Sendable, Equatable {
    public var accountId: AccountID
    public var email: String
    public var locale: String?
}

/// A customer's hourly budget of board writes (posts, comments and abuse reports together),
/// checked in the transaction that writes, after locking the account's row: a parallel burst
/// cannot all pass a count taken before any of it was stored.
public struct FeedbackWriteLimit: Sendable, Equatable {
    public var account: AccountID
    public var since: Date
    public var max: Int

    public init(account: AccountID, since: Date, max: Int) {
        self.account = account
        self.since = since
        self.max = max
    }

    /// What the store throws (as `StoreError.conflict`) when the budget is spent.
    public static let spent = "feedback_write_limit"
}

public struct FeedbackReport: Sendable, Equatable {
    public var id: Int64
    public var postId: FeedbackPostID
    public var commentId: FeedbackCommentID?
    public var reason: String
    public var createdAt: Date
}

/// The community feedback board's rows. Counts (votes, comments) move in the transaction that
/// changes them; a merge moves the duplicate's votes to the post it is merged into.
public protocol FeedbackRepository: Sendable {
    func createFeedbackPost(
        kind: FeedbackKind, title: String, body: String, author: AccountID?, authorName: String, source: String, locale: String,
        linkTo conversation: ConversationID?, linkedBy: String?, limit: FeedbackWriteLimit?
    ) async throws -> FeedbackPost
    func feedbackPost(id: FeedbackPostID) async throws -> FeedbackPost?
    func feedbackPost(number: Int64) async throws -> FeedbackPost?
    func feedbackPosts(_ query: FeedbackQuery) async throws -> [FeedbackPost]
    func feedbackComments(postId: FeedbackPostID, includeHidden: Bool) async throws -> [FeedbackComment]
    /// Casts or takes back `account`'s vote; `StoreError.conflict` on a locked, hidden or merged post.
    func setFeedbackVote(postId: FeedbackPostID, account: AccountID, on: Bool) async throws -> FeedbackPost
    func feedbackVoted(postIds: [FeedbackPostID], account: AccountID) async throws -> Set<FeedbackPostID>
    /// `StoreError.conflict` on a locked, hidden or merged post.
    func addFeedbackComment(
        postId: FeedbackPostID, authorKind: FeedbackComment.AuthorKind, authorId: String, authorName: String, body: String, official: Bool,
        limit: FeedbackWriteLimit?
    ) async throws -> FeedbackComment
    /// The post's new status, and who follows it (author and voters) to be told.
    func setFeedbackStatus(postId: FeedbackPostID, status: FeedbackStatus, audit: AuditEvent) async throws -> (FeedbackPost, [FeedbackFollower])
    func moderateFeedbackPost(postId: FeedbackPostID, hidden: Bool?, locked: Bool?, audit: AuditEvent) async throws -> FeedbackPost
    func hideFeedbackComment(id: FeedbackCommentID, hidden: Bool, audit: AuditEvent) async throws -> Bool
    /// Merges a duplicate into `target`: votes follow (one per account), links too; the duplicate is closed.
    func mergeFeedbackPost(postId: FeedbackPostID, into target: FeedbackPostID, audit: AuditEvent) async throws -> FeedbackPost
    func linkFeedbackPost(postId: FeedbackPostID, conversation: ConversationID, by agent: AgentID) async throws
    func feedbackLinks(postId: FeedbackPostID) async throws -> [ConversationID]
    func feedbackPosts(linkedTo conversation: ConversationID) async throws -> [FeedbackPost]
    /// A report of the post, or of one of its comments (`StoreError.notFound("comment")` for a
    /// comment of another post). The same account reporting the same thing again while its
    /// report is open changes nothing.
    func reportFeedback(postId: FeedbackPostID, commentId: FeedbackCommentID?, account: AccountID?, reason: String, limit: FeedbackWriteLimit?) async throws
    /// Open reports, oldest first (of one post, or all).
    func openFeedbackReports(postId: FeedbackPostID?, limit: Int, offset: Int) async throws -> [FeedbackReport]
    func openFeedbackReportCount() async throws -> Int
    func resolveFeedbackReport(id: Int64, by agent: AgentID) async throws -> Bool
    /// How many posts, comments and reports an account wrote since `since` (the rate limit).
    func feedbackWrites(account: AccountID, since: Date) async throws -> Int
    /// Board activity in a period, for reports: posts, votes, comments.
    func feedbackActivity(from: Date, to: Date) async throws -> (posts: Int, votes: Int, comments: Int)
}

extension FeedbackRepository {
    /// The oldest open reports of the whole board.
    public func openFeedbackReports(limit: Int) async throws -> [FeedbackReport] {
        try await openFeedbackReports(postId: nil, limit: limit, offset: 0)
    }
}
