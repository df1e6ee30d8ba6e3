import Foundation
import KefuCore
import KefuStore

/// Writing the help center: articles in both languages saved as numbered versions, one of
/// which is live; categories; readers' votes. Publishing indexes the live version for search
/// in the same transaction, so a published article is found at once.
public struct HelpArticles: Sendable {
    public typealias Repositories = HelpArticleRepository & HelpSearchRepository

    let store: any Repositories
    let renderer: any MarkdownRendering

    public init(store: any Repositories, renderer: any MarkdownRendering) {
        self.store = store
        self.renderer = renderer
    }

    // MARK: Writing

    /// A new article from an editor; `category` is a category's id or slug.
    public func create(
        _ content: ArticleContent, slug requested: String?, publish: Bool, editor: Agent, source: ActionSource
    ) async throws -> HelpArticle {
        guard editor.canEditHelp else { throw HelpError.notEditor }
        if let requested, !HelpSlug.isValid(requested) { throw HelpError.invalid(ValidationFailure("slug", .invalid)) }
        let content = try await rendered(try await checked(content))
        let documents = publish ? Self.documents(for: content) : nil
        let base = requested ?? HelpSlug.from(content.translation(.en).title)
        // A generated slug that is taken gets a number; a requested one is the editor's to change.
        for attempt in 1...20 {
            let slug =
                base.isEmpty ? "article-\(UUID().uuidString.prefix(8).lowercased())" : attempt == 1 ? base : "\(base.prefix(HelpSlug.maxLength - 4))-\(attempt)"
            do {
                return try await store.createHelpArticle(
                    slug: slug, content: content, by: editor.id, publish: documents,
                    audit: source.audit(publish ? "help.article_published" : "help.article_created", subjectKind: "help_article", detail: ["slug": slug]))
            } catch StoreError.conflict where requested == nil {
                continue
            } catch StoreError.conflict {
                throw HelpError.conflict("slug")
            }
        }
        throw HelpError.conflict("slug")
    }

    /// Saves a new version; the live one stays live until this one is published.
    public func save(_ id: String, content: ArticleContent, expectedVersion: Int?, editor: Agent, source: ActionSource) async throws -> HelpArticle {
        guard editor.canEditHelp else { throw HelpError.notEditor }
        let content = try await rendered(try await checked(content))
        return try await mapped {
            try await store.saveHelpArticle(
                id: id, content: content, expectedVersion: expectedVersion, by: editor.id,
                audit: source.audit("help.article_saved", subjectKind: "help_article", subjectId: id))
        }
    }

    /// Makes `version` (the newest when nil) the one the public reads.
    public func publish(_ id: String, version: Int?, editor: Agent, source: ActionSource) async throws -> HelpArticle {
        guard editor.canEditHelp else { throw HelpError.notEditor }
        guard let article = try await store.helpArticle(id: id) else { throw HelpError.notFound("article") }
        let chosen = version ?? article.latestVersion
        guard let saved = try await store.helpArticleVersion(id: id, version: chosen) else { throw HelpError.notFound("version") }
        return try await mapped {
            try await store.publishHelpArticle(
                id: id, version: chosen, documents: Self.documents(for: saved.content),
                audit: source.audit("help.article_published", subjectKind: "help_article", subjectId: id, detail: ["version": String(chosen)]))
        }
    }

    public func unpublish(_ id: String, editor: Agent, source: ActionSource) async throws -> HelpArticle {
        guard editor.canEditHelp else { throw HelpError.notEditor }
        return try await mapped {
            try await store.unpublishHelpArticle(id: id, audit: source.audit("help.article_unpublished", subjectKind: "help_article", subjectId: id))
        }
    }

    public func createCategory(
        slug: String, position: Int, names: [HelpLocale: String], descriptions: [HelpLocale: String], editor: Agent, source: ActionSource
    ) async throws -> HelpCategory {
        guard editor.canEditHelp else { throw HelpError.notEditor }
        var failure = ValidationFailure()
        if !HelpSlug.isValid(slug) { failure.add("slug", .invalid) }
        if !(-100_000...100_000).contains(position) { failure.add("position", .invalid) }
        for locale in HelpLocale.allCases {
            let name = names[locale]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            // Lengths count what was sent, as the API's schema does.
            if (names[locale]?.unicodeScalars.count ?? 0) > 80 {
                failure.add("names.\(locale.rawValue)", .tooLong(max: 80))
            } else if name.isEmpty {
                failure.add("names.\(locale.rawValue)", .required)
            }
            if (descriptions[locale]?.unicodeScalars.count ?? 0) > 300 { failure.add("descriptions.\(locale.rawValue)", .tooLong(max: 300)) }
        }
        if !failure.isEmpty { throw HelpError.invalid(failure) }
        let names = names.mapValues { $0.trimmingCharacters(in: .whitespacesAndNewlines).storable }
        let descriptions = descriptions.mapValues { $0.trimmingCharacters(in: .whitespacesAndNewlines).storable }
        return try await mapped {
            try await store.createHelpCategory(
                slug: slug, position: position, names: names, descriptions: descriptions,
                audit: source.audit("help.category_created", subjectKind: "help_category", detail: ["slug": slug]))
        }
    }

    // MARK: Reading

    public func categories() async throws -> [HelpCategory] { try await store.helpCategories() }

    /// The editor's view: newest content, every version, which one is live.
    public func article(_ id: String) async throws -> (HelpArticle, [HelpArticleVersion]) {
        guard let article = try await store.helpArticle(id: id) else { throw HelpError.notFound("article") }
        return (article, try await store.helpArticleVersions(id: id))
    }

    public func version(_ id: String, _ version: Int) async throws -> HelpArticleVersion {
        guard let found = try await store.helpArticleVersion(id: id, version: version) else { throw HelpError.notFound("version") }
        return found
    }

    /// Any article by slug (the editor addresses articles by id or slug).
    public func bySlug(_ slug: String) async throws -> HelpArticle? {
        guard HelpSlug.isValid(slug) else { return nil }
        return try await store.helpArticle(slug: slug)
    }

    public func all(limit: Int = 500) async throws -> [HelpArticle] { try await store.helpArticles(limit: limit) }

    /// A published article as readers see it.
    public func live(slug: String) async throws -> HelpArticle {
        guard HelpSlug.isValid(slug), let article = try await store.liveHelpArticle(slug: slug) else { throw HelpError.notFound("article") }
        return article
    }

    public func live(categoryId: String? = nil, order: HelpArticleOrder, limit: Int) async throws -> [HelpArticle] {
        try await store.liveHelpArticles(categoryId: categoryId, order: order, limit: limit)
    }

    /// Counts a reader's visit (popular articles).
    public func viewed(_ article: HelpArticle) async throws { try await store.recordHelpView(articleId: article.id) }

    public static let maxVoteComment = 1_000

    /// "Was this helpful?": one answer per reader (a second replaces the first).
    public func vote(slug: String, locale: HelpLocale, helpful: Bool, comment: String?, voter: String) async throws -> (yes: Int, no: Int) {
        let comment = comment?.trimmingCharacters(in: .whitespacesAndNewlines).storable
        if let comment, comment.unicodeScalars.count > Self.maxVoteComment { throw HelpError.invalid(ValidationFailure("comment", .tooLong(max: Self.maxVoteComment))) }
        let article = try await live(slug: slug)
        return try await mapped {
            try await store.recordHelpVote(articleId: article.id, locale: locale, helpful: helpful, comment: comment?.isEmpty == true ? nil : comment, voter: voter)
        }
    }

    public func votes(articleId: String? = nil, limit: Int = 100) async throws -> [HelpVote] { try await store.helpVotes(articleId: articleId, limit: limit) }

    // MARK: Rules

    /// Validates, trims titles and resolves the category (id or slug) to its id.
    func checked(_ content: ArticleContent) async throws -> ArticleContent {
        var content = content
        for (locale, text) in content.translations {
            content.translations[locale] = ArticleTranslation(title: text.title.trimmingCharacters(in: .whitespacesAndNewlines).storable, body: text.body.storable)
        }
        var failure = content.problems()
        if let wanted = content.categoryId {
            if let found = try await store.helpCategories().first(where: { $0.id == wanted || $0.slug == wanted }) {
                content.categoryId = found.id
            } else {
                failure.add("category", .invalid)
            }
        }
        if !failure.isEmpty { throw HelpError.invalid(failure) }
        return content
    }

    /// `content` with both bodies rendered (in a child process on the server): a body the
    /// renderer cannot take is refused here, before anything is stored.
    func rendered(_ content: ArticleContent) async throws -> ArticleContent {
        let locales = content.translations.keys.sorted()
        let bodies = locales.map { content.translations[$0]?.body ?? "" }
        var content = content
        do {
            let results = try await renderer.render(bodies)
            content.rendered = Dictionary(uniqueKeysWithValues: zip(locales, results))
        } catch HelpError.invalid {
            throw HelpError.invalid(ValidationFailure("body", .rule("unrenderable")))
        }
        return content
    }

    /// Renders bodies for a preview (editors only, as writing is).
    public func preview(_ bodies: [String], editor: Agent) async throws -> [RenderedMarkdown] {
        guard editor.canEditHelp else { throw HelpError.notEditor }
        return try await renderer.render(bodies)
    }

    /// What search indexes for each language of `content` (rendered when it was saved).
    public static func documents(for content: ArticleContent) -> [HelpSearchDocument] {
        content.translations.sorted(by: { $0.key < $1.key }).map { locale, text in
            let rendered = content.rendered[locale] ?? .empty
            var words = Set(SearchText.vocabularyWords(text.title))
            for word in SearchText.vocabularyWords(rendered.plainText) where words.count < 4_000 { words.insert(word) }
            return HelpSearchDocument(
                locale: locale, title: text.title, plainText: rendered.plainText, titleTerms: SearchText.indexTerms(text.title),
                bodyTerms: SearchText.indexTerms(rendered.plainText), words: words.sorted())
        }
    }

    func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch StoreError.notFound(let what) {
            throw HelpError.notFound(what)
        } catch StoreError.conflict(let what) {
            throw HelpError.conflict(what)
        }
    }
}
