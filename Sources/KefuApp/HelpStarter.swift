import Foundation
import KefuCore
import KefuHelp

/// The help center's starter set for a wallet (Resources/help-starter): categories and
/// articles in zh-CN and en that `kefu demo` publishes and an operator edits or replaces.
public struct HelpStarter: Sendable {
    public struct Category: Sendable {
        public var slug: String
        public var names: [HelpLocale: String]
        public var descriptions: [HelpLocale: String]
    }

    public struct Article: Sendable {
        public var slug: String
        public var category: String
        public var translations: [HelpLocale: ArticleTranslation]
    }

    public var categories: [Category]
    public var articles: [Article]

    struct Manifest: Decodable {
        struct Category: Decodable {
            let slug: String
            let names: [String: String]
            let descriptions: [String: String]
        }

        struct Article: Decodable {
            let slug: String
            let category: String
        }

        let categories: [Category]
        let articles: [Article]
    }

    public static func load() throws -> HelpStarter {
        guard let root = Bundle.module.url(forResource: "Resources", withExtension: nil)?.appendingPathComponent("help-starter") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: root.appendingPathComponent("manifest.json")))
        func localized(_ values: [String: String]) -> [HelpLocale: String] {
            Dictionary(uniqueKeysWithValues: values.compactMap { key, value in HelpLocale(rawValue: key).map { ($0, value) } })
        }
        let articles = try manifest.articles.map { entry in
            var translations: [HelpLocale: ArticleTranslation] = [:]
            for locale in HelpLocale.allCases {
                let text = try String(contentsOf: root.appendingPathComponent("\(entry.slug).\(locale.rawValue).md"), encoding: .utf8)
                translations[locale] = parse(text)
            }
            return Article(slug: entry.slug, category: entry.category, translations: translations)
        }
        return HelpStarter(
            categories: manifest.categories.map { Category(slug: $0.slug, names: localized($0.names), descriptions: localized($0.descriptions)) },
            articles: articles)
    }

    /// "# Title\n\nBody…" → the title and the body.
    static func parse(_ text: String) -> ArticleTranslation {
        let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let title = lines.first.map { $0.hasPrefix("# ") ? String($0.dropFirst(2)) : String($0) } ?? ""
        let body = lines.count > 1 ? String(lines[1]).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return ArticleTranslation(title: title.trimmingCharacters(in: .whitespaces), body: body)
    }

    /// Publishes the set through `articles` as `editor`, unless the help center has categories
    /// already (an operator's own content is never touched). Returns whether it seeded.
    @discardableResult
    public func seed(into articles: HelpArticles, editor: Agent) async throws -> Bool {
        guard try await articles.categories().isEmpty else { return false }
        var ids: [String: String] = [:]
        for (position, category) in categories.enumerated() {
            let created = try await articles.createCategory(
                slug: category.slug, position: position, names: category.names, descriptions: category.descriptions, editor: editor, source: .system)
            ids[category.slug] = created.id
        }
        for article in self.articles {
            _ = try await articles.create(
                ArticleContent(categoryId: ids[article.category], translations: article.translations), slug: article.slug, publish: true,
                editor: editor, source: .system)
        }
        return true
    }
}
