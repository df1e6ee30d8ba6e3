import Foundation

public typealias FeedbackPostID = Identifier<FeedbackPostTag>
public enum FeedbackPostTag {}
public typealias FeedbackCommentID = Identifier<FeedbackCommentTag>
public enum FeedbackCommentTag {}

/// What a customer brings to the community board.
public enum FeedbackKind: String, Sendable, Codable, CaseIterable {
    case suggestion
    case problem
}

/// Where a post stands; voters are told by mail when it moves.
public enum FeedbackStatus: String, Sendable, Codable, CaseIterable {
    case open
    case underReview = "under_review"
    case planned
    case inProgress = "in_progress"
    case done
    case declined
}

/// A post on the community feedback board. Text is stored as written and always shown as
/// plain text (escaped, line breaks kept): nothing in it is markup.
public struct FeedbackPost: Sendable, Equatable {
    public var id: FeedbackPostID
    public var number: Int64
    public var kind: FeedbackKind
    public var title: String
    public var body: String
    public var status: FeedbackStatus
    public var authorAccountId: AccountID?
    /// The name shown: the customer's chosen name, or what an agent wrote for a post made from a conversation.
    public var authorName: String
    /// "board", "widget" or "conversation".
    public var source: String
    public var votes: Int
    public var comments: Int
    public var hidden: Bool
    public var locked: Bool
    /// A duplicate points at the post it was merged into (its votes moved there).
    public var mergedInto: FeedbackPostID?
    public var locale: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: FeedbackPostID, number: Int64, kind: FeedbackKind, title: String, body: String, status: FeedbackStatus, authorAccountId: AccountID?,
        authorName: String, source: String, votes: Int, comments: Int, hidden: Bool, locked: Bool, mergedInto: FeedbackPostID?, locale: String,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.number = number
        self.kind = kind
        self.title = title
        self.body = body
        self.status = status
        self.authorAccountId = authorAccountId
        self.authorName = authorName
        self.source = source
        self.votes = votes
        self.comments = comments
        self.hidden = hidden
        self.locked = locked
        self.mergedInto = mergedInto
        self.locale = locale
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static let titleLength = 4...120
    public static let maxBodyLength = 5000

    /// Title and body as the board takes them: trimmed, NUL replaced; the problems named.
    public static func validated(title: String, body: String) throws(ValidationFailure) -> (title: String, body: String) {
        var failure = ValidationFailure()
        let title = BoardText.oneLine(BoardText.normalized(title))
        let body = BoardText.normalized(body)
        let cleanTitle = title.trimmingCharacters(in: .whitespacesAndNewlines).storable
        let cleanBody = body.trimmingCharacters(in: .whitespacesAndNewlines).storable
        if title.unicodeScalars.count > titleLength.upperBound {
            failure.add("title", .tooLong(max: titleLength.upperBound))
        } else if BoardText.visibleCount(cleanTitle) < titleLength.lowerBound {
            failure.add("title", BoardText.visibleCount(cleanTitle) == 0 ? .required : .tooShort(min: titleLength.lowerBound))
        }
        if body.unicodeScalars.count > maxBodyLength {
            failure.add("body", .tooLong(max: maxBodyLength))
        } else if BoardText.visibleCount(cleanBody) == 0 {
            failure.add("body", .required)
        }
        try failure.throwIfAny()
        // A title is one line.
        return (cleanTitle.split(whereSeparator: \.isNewline).joined(separator: " "), cleanBody)
    }
}

/// A comment under a post: a customer's, or an agent's (official answers are marked).
public struct FeedbackComment: Sendable, Equatable {
    public enum AuthorKind: String, Sendable, Codable {
        case customer
        case agent
    }

    public var id: FeedbackCommentID
    public var postId: FeedbackPostID
    public var authorKind: AuthorKind
    public var authorId: String
    public var authorName: String
    public var body: String
    public var official: Bool
    public var hidden: Bool
    public var createdAt: Date

    public init(
        id: FeedbackCommentID, postId: FeedbackPostID, authorKind: AuthorKind, authorId: String, authorName: String, body: String, official: Bool,
        hidden: Bool, createdAt: Date
    ) {
        self.id = id
        self.postId = postId
        self.authorKind = authorKind
        self.authorId = authorId
        self.authorName = authorName
        self.body = body
        self.official = official
        self.hidden = hidden
        self.createdAt = createdAt
    }

    public static let maxLength = 2000

    public static func validated(_ body: String) throws(ValidationFailure) -> String {
        let body = BoardText.normalized(body)
        let clean = body.trimmingCharacters(in: .whitespacesAndNewlines).storable
        if body.unicodeScalars.count > maxLength { throw ValidationFailure("body", .tooLong(max: maxLength)) }
        if BoardText.visibleCount(clean) == 0 { throw ValidationFailure("body", .required) }
        return clean
    }
}
