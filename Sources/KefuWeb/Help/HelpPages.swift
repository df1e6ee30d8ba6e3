import Foundation
import Hummingbird
import KefuChannels
import KefuCore
import KefuHelp
import KefuStore

/// What every help page shows: the language, its strings, the links to the same page in the
/// other language (hreflang), the search box and the chat widget.
struct HelpPage {
    let resources: ConsoleResources
    let locale: HelpLocale
    let publicURL: String
    let widgetInbox: InboxID?

    func t(_ key: String) -> String { resources.text(key, locale) }

    /// `path(locale)` gives this page's address in a language (the locale switch, canonical,
    /// hreflang and the sitemap all use it).
    func base(title: String, description: String? = nil, path: (HelpLocale) -> String, query: String = "") -> [String: Any] {
        let other: HelpLocale = locale == .en ? .zhCN : .en
        var values: [String: Any] = [
            "t": resources.translations[locale] ?? [:],
            "lang": locale.rawValue,
            "other_lang": other.rawValue,
            "page_title": title == t("help_center") ? title : "\(title) · \(t("help_center"))",
            "canonical": publicURL + path(locale),
            "alternates": HelpLocale.allCases.map { ["hreflang": $0.rawValue, "href": publicURL + path($0)] }
                + [["hreflang": "x-default", "href": publicURL + path(.en)]],
            "switch_href": path(other) + query,
            "show_search": true,
        ]
        if let description { values["description"] = String(description.prefix(160)) }
        if let widgetInbox { values["widget_inbox"] = widgetInbox.rawValue }
        return values
    }

    func render(_ template: String, _ values: [String: Any]) throws -> Response {
        var response = try resources.render(template, values)
        // Articles may show https images; everything else is the usual strict policy.
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy.replacingOccurrences(of: "img-src 'self' data:", with: "img-src 'self' data: https:")
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    // MARK: Pieces

    func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: t("help_date_locale"))
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = t("help_date_format")
        return formatter.string(from: date)
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    func articleLink(_ article: HelpArticle) -> [String: Any] {
        ["href": HelpViews.path(article.slug, locale: locale), "title": article.content.translation(locale).title, "slug": article.slug]
    }

    func categoryValues(_ category: HelpCategory, articles: [HelpArticle]) -> [String: Any] {
        [
            "href": "/help/\(locale.rawValue)/categories/\(category.slug)", "name": category.name(locale), "description": category.description(locale),
            "slug": category.slug, "count": t("help_articles_count").replacingOccurrences(of: "{count}", with: String(articles.count)),
            "top": articles.prefix(4).map(articleLink), "has_articles": !articles.isEmpty,
        ]
    }

    /// Announcements with their bodies rendered (by the child-process renderer; a body it
    /// cannot take shows as plain text).
    func announcementValues(_ announcements: [Announcement], markdown: any MarkdownRendering) async -> [[String: Any]] {
        let bodies = announcements.map { $0.text.body(locale.rawValue) }
        let rendered = (try? await markdown.render(bodies))
            ?? bodies.map { RenderedMarkdown(html: HTMLEscaping.escape(AnnouncementText.plain($0)), headings: [], plainText: AnnouncementText.plain($0)) }
        return zip(announcements, rendered).map(announcementValues)
    }

    func announcementValues(_ announcement: Announcement, _ rendered: RenderedMarkdown) -> [String: Any] {
        let published = announcement.publishedAt ?? announcement.updatedAt
        return [
            "id": announcement.id, "title": announcement.text.title(locale.rawValue), "html": rendered.html,
            "excerpt": String(rendered.plainText.replacingOccurrences(of: "\n", with: " ").prefix(140)),
            "date": date(published), "iso": Self.iso(published),
        ]
    }
}

/// `sitemap.xml`: every live article and category in both languages, with their alternates.
enum HelpSitemap {
    static func xml(publicURL: String, categories: [HelpCategory], articles: [HelpArticle]) -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">

            """
        func entry(_ path: (HelpLocale) -> String, updated: Date?) {
            for locale in HelpLocale.allCases {
                out += "<url><loc>\(HTML.escape(publicURL + path(locale)))</loc>"
                if let updated { out += "<lastmod>\(HelpPage.iso(updated))</lastmod>" }
                for alternate in HelpLocale.allCases {
                    out += "<xhtml:link rel=\"alternate\" hreflang=\"\(alternate.rawValue)\" href=\"\(HTML.escape(publicURL + path(alternate)))\"/>"
                }
                out += "</url>\n"
            }
        }
        entry({ "/help/\($0.rawValue)" }, updated: nil)
        entry({ "/help/\($0.rawValue)/announcements" }, updated: nil)
        entry({ "/help/\($0.rawValue)/verify" }, updated: nil)
        entry({ "/help/\($0.rawValue)/feedback" }, updated: nil)
        for category in categories { entry({ "/help/\($0.rawValue)/categories/\(category.slug)" }, updated: nil) }
        for article in articles { entry({ HelpViews.path(article.slug, locale: $0) }, updated: article.updatedAt) }
        return out + "</urlset>\n"
    }
}
