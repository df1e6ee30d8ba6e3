import Foundation
import Hummingbird
import KefuAccounts
import KefuChannels
import KefuCore
import KefuHelp
import KefuStore

/// The public help center at `/help`: server-rendered pages that work without JavaScript, in
/// zh-CN and en, with the chat widget on every page.
struct HelpSiteController {
    let articles: HelpArticles
    let search: HelpSearch
    let announcements: Announcements
    let markdown: any MarkdownRendering
    let inboxes: any InboxRepository
    let throttler: any CredentialThrottle
    let readThrottler: any CredentialThrottle
    let resources: ConsoleResources
    let publicURL: String
    let supportAddress: String
    let secureCookies: Bool

    func addRoutes(to router: Router<KefuRequestContext>, formGate: SameOriginFormGate) {
        router.get("/help") { request, _ in
            // The home in the browser's language; its canonical address names the language.
            try await home(try await page(UILocale.negotiate(acceptLanguage: request.headers[.acceptLanguage])))
        }
        router.get("/help/sitemap.xml") { _, _ in try await sitemap() }
        router.get("/sitemap.xml") { _, _ in try await sitemap() }
        router.get("/robots.txt") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "User-agent: *\nDisallow: /console\nDisallow: /api\nDisallow: /account\nSitemap: \(publicURL)/sitemap.xml\n")))
        }
        let site = router.group("help").add(middleware: formGate)
        site.get("{locale}") { _, context in try await home(try await page(context)) }
        site.get("{locale}/categories/{slug}") { _, context in
            let page = try await page(context)
            guard let slug = context.parameters.get("slug"), let category = try await articles.categories().first(where: { $0.slug == slug }) else {
                throw APIError.notFound("category")
            }
            let list = try await articles.live(categoryId: category.id, order: .position, limit: 500)
            var values = page.base(
                title: category.name(page.locale), description: category.description(page.locale),
                path: { "/help/\($0.rawValue)/categories/\(category.slug)" })
            values["category"] = page.categoryValues(category, articles: list)
            values["articles"] = list.map(page.articleLink)
            values["empty"] = list.isEmpty
            return try page.render("help-category", values)
        }
        site.get("{locale}/articles/{slug}") { request, context in try await article(request, context) }
        site.post("{locale}/articles/{slug}/vote") { request, context in try await vote(request, context) }
        site.get("{locale}/search") { request, context in
            let page = try await page(context)
            let text = (FormQuery.value(request, "q") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            var values = page.base(
                title: text.isEmpty ? page.t("help_search_button") : page.t("help_search_results_for").replacingOccurrences(of: "{q}", with: text),
                path: { "/help/\($0.rawValue)/search" }, query: text.isEmpty ? "" : "?q=" + (text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            values["q"] = text
            values["heading"] = values["page_title"]
            if text.isEmpty {
                values["empty_query"] = true
            } else {
                try await HelpController.admitRead(readThrottler, network: context.peerAddress)
                let result = try await search.search(String(String.UnicodeScalarView(text.unicodeScalars.prefix(HelpSearch.maxQuery))), locale: page.locale, limit: 20)
                values["results"] = result.items.map { item in
                    ["href": HelpViews.path(item.slug, locale: item.locale), "title": item.title, "snippet": item.snippet.html, "lang": item.locale.rawValue]
                }
                values["none"] = result.items.isEmpty
                if let suggestion = result.didYouMean {
                    values["did_you_mean"] = [
                        "text": suggestion,
                        "href": "/help/\(page.locale.rawValue)/search?q=" + (suggestion.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                    ]
                }
            }
            return try page.render("help-search", values)
        }
        site.get("{locale}/announcements") { _, context in
            let page = try await page(context)
            var values = page.base(title: page.t("help_announcements"), path: { "/help/\($0.rawValue)/announcements" })
            let list = try await announcements.published(limit: 50)
            values["announcements"] = await page.announcementValues(list, markdown: markdown)
            values["empty"] = list.isEmpty
            return try page.render("help-announcements", values)
        }
    }

    func home(_ page: HelpPage) async throws -> Response {
        var values = page.base(title: page.t("help_center"), description: page.t("help_home_intro"), path: { "/help/\($0.rawValue)" })
        let categories = try await articles.categories()
        let live = try await articles.live(order: .position, limit: 1_000)
        values["categories"] = categories.map { category in page.categoryValues(category, articles: live.filter { $0.content.categoryId == category.id }) }
        values["popular"] = try await articles.live(order: .popular, limit: 6).map(page.articleLink)
        let news = try await announcements.published(limit: 3)
        values["announcements"] = await page.announcementValues(news, markdown: markdown)
        values["has_announcements"] = !news.isEmpty
        values["contact_hint"] = page.t("help_contact_hint").replacingOccurrences(of: "{address}", with: supportAddress)
        values["support_address"] = supportAddress
        values["is_home"] = true
        return try page.render("help-home", values)
    }

    func article(_ request: Request, _ context: KefuRequestContext) async throws -> Response {
        let page = try await page(context)
        let article = try await articles.live(slug: try HelpController.slug(context))
        let text = article.content.translation(page.locale)
        let rendered = article.content.rendering(page.locale)
        let category = try await articles.categories().first { $0.id == article.content.categoryId }
        var values = page.base(
            title: text.title, description: rendered.plainText.replacingOccurrences(of: "\n", with: " "),
            path: { HelpViews.path(article.slug, locale: $0) })
        values["article"] = [
            "title": text.title, "html": rendered.html, "slug": article.slug, "updated": page.date(article.publishedAt ?? article.updatedAt),
            "updated_iso": HelpPage.iso(article.publishedAt ?? article.updatedAt),
            "vote_action": "/help/\(page.locale.rawValue)/articles/\(article.slug)/vote",
        ]
        values["toc"] = rendered.headings.map { ["id": $0.id, "text": $0.text, "sub": $0.level == 3] }
        values["has_toc"] = rendered.headings.count >= 2
        if let category { values["category"] = page.categoryValues(category, articles: []) }
        let related = try await articles.live(categoryId: article.content.categoryId, order: .popular, limit: 6).filter { $0.id != article.id }.prefix(5)
        values["related"] = related.map(page.articleLink)
        values["has_related"] = !related.isEmpty
        if request.uri.queryParameters.get("voted") != nil { values["voted"] = true }
        let total = article.helpfulYes + article.helpfulNo
        if total > 0 {
            values["helpful_counts"] = page.t("help_helpful_counts").replacingOccurrences(of: "{yes}", with: String(article.helpfulYes))
                .replacingOccurrences(of: "{total}", with: String(total))
        }
        // A view counts once per network and article per half hour: reloads are not popularity.
        if (try? await throttler.admit([("help-view:\(ClientNetwork.key(context.peerAddress)):\(article.id)", HelpController.viewsPerArticle)])) != nil {
            try await articles.viewed(article)
        }
        return try page.render("help-article", values)
    }

    /// The "was this helpful?" form: one answer per browser (a cookie), then back to the article.
    func vote(_ request: Request, _ context: KefuRequestContext) async throws -> Response {
        let page = try await page(context)
        let slug = try HelpController.slug(context)
        try await HelpController.admitVote(throttler, network: context.peerAddress, slug: slug)
        let form = try await ConsoleForm.readPublic(request)
        guard let answer = form["helpful"], answer == "yes" || answer == "no" else { throw APIError.validation("helpful", .required) }
        var newCookie: String?
        let voter: String
        if let cookie = request.cookies[HelpController.voterCookie]?.value, (1...64).contains(cookie.count) {
            voter = cookie
        } else {
            voter = RandomToken.make(bytes: 16)
            newCookie = voter
        }
        _ = try await articles.vote(slug: slug, locale: page.locale, helpful: answer == "yes", comment: form["comment"], voter: "cookie:" + TokenDigest.of(voter))
        var response = Response(status: .seeOther, headers: [.location: HelpViews.path(slug, locale: page.locale) + "?voted=1#feedback"])
        if let newCookie {
            response.setCookie(
                Cookie(name: HelpController.voterCookie, value: newCookie, maxAge: 365 * 86400, path: "/help", secure: secureCookies, httpOnly: true, sameSite: .lax))
        }
        return response
    }

    func sitemap() async throws -> Response {
        let xml = HelpSitemap.xml(publicURL: publicURL, categories: try await articles.categories(), articles: try await articles.live(order: .recent, limit: 50_000))
        return Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    func page(_ context: KefuRequestContext) async throws -> HelpPage {
        guard let tag = context.parameters.get("locale"), let locale = HelpLocale(rawValue: tag) else { throw APIError.routeNotFound }
        return try await page(locale)
    }

    func page(_ locale: HelpLocale) async throws -> HelpPage {
        // The chat on the help center is the first web-chat inbox's (the demo's website chat).
        let inbox = try await inboxes.listInboxes().first { $0.kind == .webchat }
        return HelpPage(resources: resources, locale: locale, publicURL: publicURL, widgetInbox: inbox?.id)
    }
}
