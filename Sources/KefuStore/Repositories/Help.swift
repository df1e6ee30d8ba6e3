import Foundation
import KefuCore

/// One language of a live article as search sees it: the terms come from Swift
/// (`SearchText.indexTerms`), so both databases index the same words.
public struct HelpSearchDocument: Sendable, Equatable {
    public var locale: HelpLocale
    public var title: String
    public var plainText: String
    public var titleTerms: [String]
    public var bodyTerms: [String]
    /// Distinct words as written, for "did you mean".
    public var words: [String]

    public init(locale: HelpLocale, title: String, plainText: String, titleTerms: [String], bodyTerms: [String], words: [String]) {
        self.locale = locale
        self.title = title
        self.plainText = plainText
        self.titleTerms = titleTerms
        self.bodyTerms = bodyTerms
        self.words = words
    }
}

/// A search: documents containing every term (`.all`) or any of them (`.any`), in their
/// titles only or anywhere, best first.
public struct HelpSearchRequest: Sendable, Equatable {
    public enum Match: Sendable { case all, any }
    public var terms: [String]
    public var match: Match
    public var titleOnly: Bool
    public var limit: Int

    public init(terms: [String], match: Match, titleOnly: Bool = false, limit: Int) {
        self.terms = terms
        self.match = match
        self.titleOnly = titleOnly
        self.limit = limit
    }
}

/// A matching document, in the database's relevance order (title weighted above body).
public struct HelpSearchHit: Sendable, Equatable {
    public var articleId: String
    public var slug: String
    public var locale: HelpLocale
    public var title: String
    public var plainText: String
    public var categoryId: String?
    public var helpfulYes: Int
    public var helpfulNo: Int
    public var updatedAt: Date
}

public enum HelpArticleOrder: Sendable { case position, popular, recent }

/// A reader's answer to "was this helpful?".
public struct HelpVote: Sendable, Equatable {
    public var articleId: String
    public var slug: String
    public var locale: HelpLocale
    public var helpful: Bool
    public var comment: String?
    public var createdAt: Date
}

/// A search that found nothing, counted for the content team.
public struct HelpSearchMiss: Sendable, Equatable {
    public var query: String
    public var locale: String
    public var searches: Int
    public var lastAt: Date
}

/// What happened after the widget offered an article.
public enum HelpDeflectionOutcome: String, Sendable, Codable, CaseIterable {
    /// The customer opened it.
    case viewed
    /// The customer said it answered the question.
    case answered
    /// The customer started the chat anyway.
    case chatStarted = "chat_started"
}

public protocol HelpArticleRepository: Sendable {
    func createHelpCategory(slug: String, position: Int, names: [HelpLocale: String], descriptions: [HelpLocale: String], audit: AuditEvent?) async throws -> HelpCategory
    func helpCategories() async throws -> [HelpCategory]

    /// A new article and its first version; `publish` makes that version live at once with
    /// these search documents. `StoreError.conflict("slug")` when the slug is taken.
    func createHelpArticle(slug: String, content: ArticleContent, by agent: AgentID, publish documents: [HelpSearchDocument]?, audit: AuditEvent?) async throws -> HelpArticle
    /// Saves a new version (a draft until published). `expectedVersion`: the version the editor
    /// started from; `StoreError.conflict` when someone saved meanwhile.
    func saveHelpArticle(id: String, content: ArticleContent, expectedVersion: Int?, by agent: AgentID, audit: AuditEvent?) async throws -> HelpArticle
    /// Makes `version` the live one and replaces the article's search documents.
    func publishHelpArticle(id: String, version: Int, documents: [HelpSearchDocument], audit: AuditEvent?) async throws -> HelpArticle
    /// Takes the article off the public site and out of search.
    func unpublishHelpArticle(id: String, audit: AuditEvent?) async throws -> HelpArticle
    /// The article with its newest content.
    func helpArticle(id: String) async throws -> HelpArticle?
    /// The article with its newest content, by slug (any status).
    func helpArticle(slug: String) async throws -> HelpArticle?
    /// A published article with its live content.
    func liveHelpArticle(slug: String) async throws -> HelpArticle?
    /// Published articles with their live content.
    func liveHelpArticles(categoryId: String?, order: HelpArticleOrder, limit: Int) async throws -> [HelpArticle]
    /// Every article with its newest content, newest first (the editor's list).
    func helpArticles(limit: Int) async throws -> [HelpArticle]
    func helpArticleVersions(id: String) async throws -> [HelpArticleVersion]
    func helpArticleVersion(id: String, version: Int) async throws -> HelpArticleVersion?
    func recordHelpView(articleId: String) async throws
    /// One vote per voter and article (a second replaces the first); returns the new counts.
    func recordHelpVote(articleId: String, locale: HelpLocale, helpful: Bool, comment: String?, voter: String) async throws -> (yes: Int, no: Int)
    func helpVotes(articleId: String?, limit: Int) async throws -> [HelpVote]
}

public protocol HelpSearchRepository: Sendable {
    func searchHelp(_ request: HelpSearchRequest) async throws -> [HelpSearchHit]
    /// Which of `words` some live article uses.
    func knownHelpWords(_ words: [String]) async throws -> Set<String>
    /// Words of live articles whose length is in `lengths` and that share the first or the
    /// second letter with `word` (the candidates for its typo), most used first.
    func helpWords(lengths: ClosedRange<Int>, near word: String, limit: Int) async throws -> [(word: String, documents: Int)]
    func recordHelpSearchMiss(query: String, locale: String) async throws
    func helpSearchMisses(limit: Int) async throws -> [HelpSearchMiss]
    func recordHelpDeflection(articleId: String, widgetSessionId: String?, outcome: HelpDeflectionOutcome) async throws
    func helpDeflectionCounts(since: Date) async throws -> [HelpDeflectionOutcome: Int]
}
