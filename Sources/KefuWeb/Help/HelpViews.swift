import Foundation
import KefuCore
import KefuHelp
import KefuStore

/// The help center's JSON shapes.
enum HelpViews {
    struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
        let items: [Item]
    }

    /// Where an article lives on the public site.
    static func path(_ slug: String, locale: HelpLocale) -> String { "/help/\(locale.rawValue)/articles/\(slug)" }

    struct SearchResponse: Encodable, Sendable {
        struct Item: Encodable, Sendable {
            let slug: String
            let title: String
            /// HTML: the text escaped, the matched words in `<mark>`.
            let snippet: String
            let locale: String
            let url: String
        }

        let items: [Item]
        let didYouMean: String?

        init(_ result: HelpSearchResult) {
            items = result.items.map {
                Item(slug: $0.slug, title: $0.title, snippet: $0.snippet.html, locale: $0.locale.rawValue, url: HelpViews.path($0.slug, locale: $0.locale))
            }
            didYouMean = result.didYouMean
        }
    }

    struct CategoryView: Encodable, Sendable {
        let id: String
        let slug: String
        let name: String
        let description: String
        let position: Int

        init(_ category: HelpCategory, locale: HelpLocale) {
            id = category.id
            slug = category.slug
            name = category.name(locale)
            description = category.description(locale)
            position = category.position
        }
    }

    /// A published article in one language, rendered inert.
    struct PublicArticle: Encodable, Sendable {
        struct Heading: Encodable, Sendable {
            let level: Int
            let id: String
            let text: String
        }

        struct Alternate: Encodable, Sendable {
            let locale: String
            let title: String
            let url: String
        }

        let id: String
        let slug: String
        let locale: String
        let title: String
        /// The Markdown as written.
        let body: String
        /// The body as sanitised HTML (no scripts, no raw HTML, safe links only).
        let html: String
        let headings: [Heading]
        let category: CategoryView?
        let url: String
        let alternates: [Alternate]
        let helpfulYes: Int
        let helpfulNo: Int
        let version: Int?
        let publishedAt: Date?
        let updatedAt: Date

        init(_ article: HelpArticle, locale: HelpLocale, category: HelpCategory?) {
            let text = article.content.translation(locale)
            let rendered = article.content.rendering(locale)
            id = article.id
            slug = article.slug
            self.locale = article.content.translations[locale] == nil ? (article.content.translations.keys.first ?? locale).rawValue : locale.rawValue
            title = text.title
            body = text.body
            html = rendered.html
            headings = rendered.headings.map { Heading(level: $0.level, id: $0.id, text: $0.text) }
            self.category = category.map { CategoryView($0, locale: locale) }
            url = HelpViews.path(article.slug, locale: locale)
            alternates = article.content.translations.sorted(by: { $0.key < $1.key }).map {
                Alternate(locale: $0.key.rawValue, title: $0.value.title, url: HelpViews.path(article.slug, locale: $0.key))
            }
            helpfulYes = article.helpfulYes
            helpfulNo = article.helpfulNo
            version = article.liveVersion
            publishedAt = article.publishedAt
            updatedAt = article.updatedAt
        }
    }

    struct TranslationView: Encodable, Sendable {
        let title: String
        let body: String
    }

    /// What the editor sees: the newest content, and which version is live.
    struct EditorArticle: Encodable, Sendable {
        struct Version: Encodable, Sendable {
            let version: Int
            let category: String?
            let translations: [String: TranslationView]
            let agentId: AgentID
            let createdAt: Date
            let publishedAt: Date?
            let live: Bool
        }

        let id: String
        let slug: String
        let status: HelpArticleStatus
        let category: String?
        let translations: [String: TranslationView]
        let latestVersion: Int
        let liveVersion: Int?
        let hasUnpublishedChanges: Bool
        let helpfulYes: Int
        let helpfulNo: Int
        let views: Int
        let url: String
        let createdAt: Date
        let updatedAt: Date
        let publishedAt: Date?
        let versions: [Version]?

        init(_ article: HelpArticle, versions: [HelpArticleVersion]? = nil) {
            id = article.id
            slug = article.slug
            status = article.status
            category = article.content.categoryId
            translations = EditorArticle.texts(article.content)
            latestVersion = article.latestVersion
            liveVersion = article.liveVersion
            hasUnpublishedChanges = article.hasUnpublishedChanges
            helpfulYes = article.helpfulYes
            helpfulNo = article.helpfulNo
            views = article.views
            url = HelpViews.path(article.slug, locale: .en)
            createdAt = article.createdAt
            updatedAt = article.updatedAt
            publishedAt = article.publishedAt
            self.versions = versions?.map {
                Version(
                    version: $0.version, category: $0.content.categoryId, translations: EditorArticle.texts($0.content), agentId: $0.agentId,
                    createdAt: $0.createdAt, publishedAt: $0.publishedAt, live: $0.version == article.liveVersion)
            }
        }

        static func texts(_ content: ArticleContent) -> [String: TranslationView] {
            Dictionary(uniqueKeysWithValues: content.translations.map { ($0.key.rawValue, TranslationView(title: $0.value.title, body: $0.value.body)) })
        }
    }

    struct VoteCounts: Encodable, Sendable {
        let yes: Int
        let no: Int
    }

    struct MissView: Encodable, Sendable {
        let query: String
        let locale: String
        let searches: Int
        let lastAt: Date

        init(_ miss: HelpSearchMiss) {
            query = miss.query
            locale = miss.locale
            searches = miss.searches
            lastAt = miss.lastAt
        }
    }

    struct VoteView: Encodable, Sendable {
        let slug: String
        let locale: String
        let helpful: Bool
        let comment: String?
        let createdAt: Date

        init(_ vote: HelpVote) {
            slug = vote.slug
            locale = vote.locale.rawValue
            helpful = vote.helpful
            comment = vote.comment
            createdAt = vote.createdAt
        }
    }
}
