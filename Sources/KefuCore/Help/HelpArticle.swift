import Foundation

/// The languages help content is written in (the interface's): every article has each,
/// sharing one slug.
public typealias HelpLocale = UILocale

extension UILocale: Comparable {
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One language of an article: a title and a Markdown body.
public struct ArticleTranslation: Sendable, Equatable, Codable {
    public var title: String
    public var body: String

    public init(title: String, body: String) {
        self.title = title
        self.body = body
    }

    /// Lengths count Unicode scalars, as JSON Schema's maxLength does (openapi.yaml).
    public static let maxTitle = 200
    public static let maxBody = 100_000
}

/// An article body ready for a page: inert HTML, its outline and its words. Rendered once, when
/// a version is saved, and stored with it.
public struct RenderedMarkdown: Sendable, Equatable, Codable {
    /// A section heading, linked from the table of contents.
    public struct Heading: Sendable, Equatable, Codable {
        public var level: Int
        public var id: String
        public var text: String

        public init(level: Int, id: String, text: String) {
            self.level = level
            self.id = id
            self.text = text
        }
    }

    public var html: String
    /// `##` and `###` headings in order (the table of contents).
    public var headings: [Heading]
    /// The text without markup, for search and snippets.
    public var plainText: String

    public init(html: String, headings: [Heading], plainText: String) {
        self.html = html
        self.headings = headings
        self.plainText = plainText
    }

    public static let empty = RenderedMarkdown(html: "", headings: [], plainText: "")
}

/// What an editor saves: the category and both languages.
public struct ArticleContent: Sendable, Equatable {
    public var categoryId: String?
    public var translations: [HelpLocale: ArticleTranslation]
    /// Each language's body rendered (filled when saved, and when read back from the store).
    public var rendered: [HelpLocale: RenderedMarkdown]

    public init(categoryId: String?, translations: [HelpLocale: ArticleTranslation], rendered: [HelpLocale: RenderedMarkdown] = [:]) {
        self.categoryId = categoryId
        self.translations = translations
        self.rendered = rendered
    }

    /// The same words (what an editor changed), whatever was rendered from them.
    public func sameText(as other: ArticleContent) -> Bool { categoryId == other.categoryId && translations == other.translations }

    public func rendering(_ locale: HelpLocale) -> RenderedMarkdown {
        rendered[locale] ?? rendered.values.first ?? .empty
    }

    public func translation(_ locale: HelpLocale) -> ArticleTranslation {
        translations[locale] ?? translations.values.first ?? ArticleTranslation(title: "", body: "")
    }

    /// Both languages, each with a title and a body of sane size.
    public func problems() -> ValidationFailure {
        var failure = ValidationFailure()
        for locale in HelpLocale.allCases {
            let field = "translations.\(locale.rawValue)"
            guard let text = translations[locale] else {
                failure.add(field, .required)
                continue
            }
            let title = text.title.trimmingCharacters(in: .whitespacesAndNewlines)
            if title.isEmpty { failure.add("\(field).title", .required) }
            if title.unicodeScalars.count > ArticleTranslation.maxTitle { failure.add("\(field).title", .tooLong(max: ArticleTranslation.maxTitle)) }
            if text.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { failure.add("\(field).body", .required) }
            if text.body.unicodeScalars.count > ArticleTranslation.maxBody { failure.add("\(field).body", .tooLong(max: ArticleTranslation.maxBody)) }
        }
        return failure
    }
}

public enum HelpArticleStatus: String, Sendable, Codable, CaseIterable {
    /// Never published.
    case draft
    /// A version is live on the public site.
    case published
    /// Taken off the site; its versions remain.
    case unpublished
}

/// An article: the newest saved content (what the editor shows) and which version, if any, the
/// public reads.
public struct HelpArticle: Sendable, Equatable {
    public var id: String
    public var slug: String
    public var status: HelpArticleStatus
    /// The newest saved version (a draft when it is newer than the live one).
    public var latestVersion: Int
    public var liveVersion: Int?
    public var content: ArticleContent
    public var helpfulYes: Int
    public var helpfulNo: Int
    public var views: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// When the live version went live.
    public var publishedAt: Date?

    public init(
        id: String, slug: String, status: HelpArticleStatus, latestVersion: Int, liveVersion: Int?, content: ArticleContent, helpfulYes: Int,
        helpfulNo: Int, views: Int, createdAt: Date, updatedAt: Date, publishedAt: Date?
    ) {
        self.id = id
        self.slug = slug
        self.status = status
        self.latestVersion = latestVersion
        self.liveVersion = liveVersion
        self.content = content
        self.helpfulYes = helpfulYes
        self.helpfulNo = helpfulNo
        self.views = views
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.publishedAt = publishedAt
    }

    /// Whether the editor holds changes the public does not see yet.
    public var hasUnpublishedChanges: Bool { liveVersion != latestVersion }
}

/// One saved state of an article.
public struct HelpArticleVersion: Sendable, Equatable {
    public var version: Int
    public var content: ArticleContent
    public var agentId: AgentID
    public var createdAt: Date
    /// When this version last went live (nil: never).
    public var publishedAt: Date?

    public init(version: Int, content: ArticleContent, agentId: AgentID, createdAt: Date, publishedAt: Date?) {
        self.version = version
        self.content = content
        self.agentId = agentId
        self.createdAt = createdAt
        self.publishedAt = publishedAt
    }
}

/// A section of the help center ("Account and security").
public struct HelpCategory: Sendable, Equatable {
    public var id: String
    public var slug: String
    public var position: Int
    public var names: [HelpLocale: String]
    public var descriptions: [HelpLocale: String]

    public init(id: String, slug: String, position: Int, names: [HelpLocale: String], descriptions: [HelpLocale: String]) {
        self.id = id
        self.slug = slug
        self.position = position
        self.names = names
        self.descriptions = descriptions
    }

    public func name(_ locale: HelpLocale) -> String { names[locale] ?? names.values.first ?? slug }
    public func description(_ locale: HelpLocale) -> String { descriptions[locale] ?? "" }
}

/// URL names for articles and categories: lowercase ASCII words joined by "-".
public enum HelpSlug {
    public static let maxLength = 80

    public static func isValid(_ slug: String) -> Bool {
        (1...maxLength).contains(slug.count) && slug.first != "-" && slug.last != "-" && !slug.contains("--")
            && slug.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    /// From an English title: "Forgot your password? Reset it" → "forgot-your-password-reset-it".
    public static func from(_ title: String) -> String {
        let words = title.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
        var slug = ""
        for word in words {
            let next = slug.isEmpty ? String(word) : slug + "-" + word
            if next.count > 60 { break }
            slug = next
        }
        return slug
    }
}
