import Foundation
import Hummingbird
import KefuAccounts
import KefuCore
import KefuHelp
import KefuStore

/// `/api/v1/help/…`: search and articles for anyone (the widget, wallet apps, the help pages'
/// scripts), votes and deflections from readers, and the editors' writing and publishing.
struct HelpController {
    let articles: HelpArticles
    let search: HelpSearch
    let throttler: any CredentialThrottle
    let readThrottler: any CredentialThrottle
    let limits: BodyLimits

    /// Searches, votes and deflections per client address: generous for people, not for a loop.
    static let readsPerClient = ThrottlePolicy(freeAttempts: 600, window: 60, baseDelay: 1, maxDelay: 30)
    static let votesPerClient = ThrottlePolicy(freeAttempts: 60, window: 15 * 60, baseDelay: 10, maxDelay: 300)
    /// One network's answers about one article a day: clearing cookies does not make a crowd.
    static let votesPerArticle = ThrottlePolicy(freeAttempts: 5, window: 86_400, baseDelay: 3_600, maxDelay: 86_400)
    /// What the widget reports per network: enough for a busy office, not for a loop.
    static let deflectionsPerClient = ThrottlePolicy(freeAttempts: 60, window: 15 * 60, baseDelay: 10, maxDelay: 300)
    /// A network's visits to one article count once per half hour (popular articles).
    static let viewsPerArticle = ThrottlePolicy(freeAttempts: 1, window: 30 * 60, baseDelay: 30 * 60, maxDelay: 30 * 60)

    /// Both limits on a vote: per client network, and per network and article.
    static func admitVote(_ throttler: any CredentialThrottle, network: String?, slug: String) async throws {
        let key = ClientNetwork.key(network)
        _ = try await throttler.admit([("help-vote-client:\(key)", votesPerClient), ("help-vote-article:\(key):\(slug)", votesPerArticle)])
    }

    struct TranslationBody: Decodable {
        let title: String
        let body: String
    }

    struct ArticleBody: Decodable {
        let category: String?
        let slug: String?
        let translations: [String: TranslationBody]
        let publish: Bool?
        /// The version the editor started from (PATCH): a save over someone else's is a conflict.
        let expectedVersion: Int?

        func content() throws -> ArticleContent {
            var translations: [HelpLocale: ArticleTranslation] = [:]
            for (key, text) in self.translations {
                guard let locale = HelpLocale(rawValue: key) else {
                    throw APIError.validation("translations.\(key)", .notOneOf(HelpLocale.allCases.map(\.rawValue)))
                }
                translations[locale] = ArticleTranslation(title: text.title, body: text.body)
            }
            return ArticleContent(categoryId: category?.isEmpty == true ? nil : category, translations: translations)
        }
    }

    struct PublishBody: Decodable {
        let version: Int?
    }

    struct VoteBody: Decodable {
        let helpful: Bool
        let comment: String?
        let locale: String?
    }

    struct DeflectionBody: Decodable {
        let article: String
        let outcome: HelpDeflectionOutcome
    }

    struct CategoryBody: Decodable {
        let slug: String
        let position: Int?
        let names: [String: String]
        let descriptions: [String: String]?
    }

    func addPublicRoutes(to group: CatalogedGroup<KefuRequestContext>) {
        group.get("help/search") { request, context in
            let query = QueryReader(request: request)
            try await admitRead(context)
            let locale = try Self.locale(query, request)
            let limit = Int(try query.int("limit", range: 1...50) ?? 10)
            guard let text = FormQuery.value(request, "q") else { throw APIError.validation("q", .required) }
            let result = try await search.search(text, locale: locale, limit: limit)
            return JSONResponse(HelpViews.SearchResponse(result))
        }
        group.get("help/categories") { request, _ in
            let locale = try Self.locale(QueryReader(request: request), request)
            return JSONResponse(HelpViews.ListResponse(items: try await articles.categories().map { HelpViews.CategoryView($0, locale: locale) }))
        }
        group.get("help/articles/{slug}") { request, context in
            let locale = try Self.locale(QueryReader(request: request), request)
            let article = try await articles.live(slug: try Self.slug(context))
            let categories = try await articles.categories()
            return JSONResponse(HelpViews.PublicArticle(article, locale: locale, category: categories.first { $0.id == article.content.categoryId }))
        }
        group.post("help/articles/{slug}/votes") { request, context in
            let body = try await request.decodeJSON(VoteBody.self, limit: limits.small)
            try await Self.admitVote(throttler, network: context.peerAddress, slug: try Self.slug(context))
            let locale = try body.locale.map { value in
                guard let locale = HelpLocale(rawValue: value) else { throw APIError.validation("locale", .notOneOf(HelpLocale.allCases.map(\.rawValue))) }
                return locale
            } ?? .en
            // API clients vote as their network: a cookie they choose would let one client vote again and again.
            let counts = try await articles.vote(
                slug: try Self.slug(context), locale: locale, helpful: body.helpful, comment: body.comment,
                voter: "network:" + TokenDigest.of(ClientNetwork.key(context.peerAddress)))
            return JSONResponse(HelpViews.VoteCounts(yes: counts.yes, no: counts.no))
        }
        // The widget tells what became of an article it offered (reports count deflections).
        group.post("help/deflections") { request, context in
            let body = try await request.decodeJSON(DeflectionBody.self, limit: limits.small)
            _ = try await throttler.admit([("help-deflection-client:\(ClientNetwork.key(context.peerAddress))", Self.deflectionsPerClient)])
            let article = try await articles.live(slug: body.article)
            try await search.recordDeflection(articleId: article.id, widgetSessionId: nil, outcome: body.outcome)
            return Response(status: .noContent)
        }
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("help/articles") { _, _ in
            JSONResponse(HelpViews.ListResponse(items: try await articles.all().map { HelpViews.EditorArticle($0) }))
        }
        group.post("help/articles") { request, context in
            let body = try await request.decodeJSON(ArticleBody.self, limit: limits.json)
            let article = try await articles.create(
                try body.content(), slug: body.slug, publish: body.publish ?? false, editor: context.agent, source: context.source)
            return JSONResponse(HelpViews.EditorArticle(article), status: .created)
        }
        group.get("help/articles/{slug}/versions") { _, context in
            let (article, versions) = try await articles.article(try await editorId(context))
            return JSONResponse(HelpViews.EditorArticle(article, versions: versions))
        }
        group.patch("help/articles/{slug}") { request, context in
            let body = try await request.decodeJSON(ArticleBody.self, limit: limits.json)
            // A slug is chosen when the article is made; one sent here must still be a slug
            // (the fuzzer's over-long one was accepted and ignored).
            if let slug = body.slug, !HelpSlug.isValid(slug) { throw APIError.validation("slug", .invalid) }
            let article = try await articles.save(
                try await editorId(context), content: try body.content(), expectedVersion: body.expectedVersion, editor: context.agent, source: context.source)
            return JSONResponse(HelpViews.EditorArticle(article))
        }
        group.post("help/articles/{slug}/publish") { request, context in
            let body = try await request.decodeJSON(PublishBody.self, limit: limits.small, whenEmpty: PublishBody(version: nil))
            return JSONResponse(
                HelpViews.EditorArticle(try await articles.publish(try await editorId(context), version: body.version, editor: context.agent, source: context.source)))
        }
        group.post("help/articles/{slug}/unpublish") { _, context in
            JSONResponse(HelpViews.EditorArticle(try await articles.unpublish(try await editorId(context), editor: context.agent, source: context.source)))
        }
        group.post("help/categories") { request, context in
            let body = try await request.decodeJSON(CategoryBody.self, limit: limits.small)
            let names = try Self.localized(body.names, field: "names")
            let descriptions = try Self.localized(body.descriptions ?? [:], field: "descriptions")
            let category = try await articles.createCategory(
                slug: body.slug, position: body.position ?? 0, names: names, descriptions: descriptions, editor: context.agent, source: context.source)
            return JSONResponse(HelpViews.CategoryView(category, locale: .en), status: .created)
        }
        group.get("help/search-misses") { _, _ in
            JSONResponse(HelpViews.ListResponse(items: try await search.misses().map(HelpViews.MissView.init)))
        }
        group.get("help/votes") { _, _ in
            JSONResponse(HelpViews.ListResponse(items: try await articles.votes().map(HelpViews.VoteView.init)))
        }
    }

    func admitRead(_ context: KefuRequestContext) async throws { try await Self.admitRead(readThrottler, network: context.peerAddress) }

    /// Searches, verify checks and page reads share one allowance per client network.
    static func admitRead(_ throttler: any CredentialThrottle, network: String?) async throws {
        _ = try await throttler.admit([("help-read-client:\(ClientNetwork.key(network))", readsPerClient)])
    }

    /// An editor route's article: by id or by slug.
    func editorId(_ context: AuthenticatedContext) async throws -> String {
        let key = try Self.slug(context)
        if UUID(uuidString: key) != nil { return key.lowercased() }
        guard let article = try await articles.bySlug(key) else { throw APIError.notFound("article") }
        return article.id
    }

    static func slug(_ context: some RequestContext) throws -> String {
        guard let slug = context.parameters.get("slug"), slug.count <= 100 else { throw APIError.notFound("article") }
        return slug.lowercased()
    }

    /// `?locale=` when given (refused when not one Kefu writes), else the browser's.
    static func locale(_ query: QueryReader, _ request: Request) throws -> HelpLocale {
        if let asked = query.string("locale") {
            guard let locale = HelpLocale(rawValue: asked) else { throw APIError.validation("locale", .notOneOf(HelpLocale.allCases.map(\.rawValue))) }
            return locale
        }
        return UILocale.negotiate(acceptLanguage: request.headers[.acceptLanguage])
    }

    static func localized(_ values: [String: String], field: String) throws -> [HelpLocale: String] {
        var result: [HelpLocale: String] = [:]
        for (key, value) in values {
            guard let locale = HelpLocale(rawValue: key) else { throw APIError.validation("\(field).\(key)", .notOneOf(HelpLocale.allCases.map(\.rawValue))) }
            result[locale] = value
        }
        return result
    }

    static let voterCookie = "kefu_help_voter"
}
