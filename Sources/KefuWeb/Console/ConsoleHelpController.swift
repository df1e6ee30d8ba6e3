import Foundation
import Hummingbird
import KefuCore
import KefuHelp
import KefuRealtime
import KefuStore

/// `/console/help`: the help center's editor. Editors write an article in both languages,
/// preview it, save versions, publish one (or an older one again), unpublish, and see what
/// readers searched for in vain and what they said about articles.
struct ConsoleHelpController {
    let articles: HelpArticles
    let search: HelpSearch
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("help") { request, context in try await listPage(request, context) }
        group.post("help/categories") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            do {
                _ = try await articles.createCategory(
                    slug: form["slug"] ?? "", position: Int(form["position"] ?? "") ?? 0,
                    names: [.en: form["name_en"] ?? "", .zhCN: form["name_zh"] ?? ""],
                    descriptions: [.en: form["description_en"] ?? "", .zhCN: form["description_zh"] ?? ""], editor: context.agent, source: context.source)
                return redirect("/console/help?flash=saved")
            } catch let failure as any DomainProblem {
                var response = try await listPage(request, context, error: failure.problem.message(ConsolePage.locale(request, agent: context.agent)))
                response.status = failure.problem.status
                return response
            }
        }
        group.get("help/new") { request, context in
            try await editorPage(request, context, article: nil, draft: Draft(categoryId: nil, slug: "", texts: [:]), versions: [])
        }
        group.post("help/new") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let draft = Draft(form)
            if form["action"] == "preview" {
                return try await editorPage(request, context, article: nil, draft: draft, versions: [], preview: true)
            }
            do {
                let made = try await articles.create(
                    draft.content, slug: draft.slug.isEmpty ? nil : draft.slug, publish: form["action"] == "publish", editor: context.agent, source: context.source)
                return redirect("/console/help/\(made.id)?flash=saved")
            } catch let failure as any DomainProblem {
                return try await failed(failure, request, context, article: nil, draft: draft, versions: [])
            }
        }
        group.get("help/{id}") { request, context in
            let (article, versions) = try await articles.article(try Self.id(context))
            let shown: Draft
            if let asked = request.uri.queryParameters.get("version").flatMap(Int.init), let version = versions.first(where: { $0.version == asked }) {
                shown = Draft(version.content, slug: article.slug)
            } else {
                shown = Draft(article.content, slug: article.slug)
            }
            return try await editorPage(request, context, article: article, draft: shown, versions: versions, preview: true)
        }
        group.post("help/{id}") { request, context in
            let id = try Self.id(context)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let (article, versions) = try await articles.article(id)
            let draft = Draft(form, slug: article.slug)
            do {
                switch form["action"] {
                case "preview":
                    return try await editorPage(request, context, article: article, draft: draft, versions: versions, preview: true)
                case "publish" where form["version"] != nil:
                    // A version from the history goes live again as it was.
                    _ = try await articles.publish(id, version: form["version"].flatMap(Int.init), editor: context.agent, source: context.source)
                case "publish":
                    // "Save and publish": the form's content becomes a version first, unless it is the newest already.
                    var latest = article.latestVersion
                    if !draft.content.sameText(as: article.content) {
                        latest = try await articles.save(
                            id, content: draft.content, expectedVersion: form["expected_version"].flatMap(Int.init), editor: context.agent,
                            source: context.source
                        ).latestVersion
                    }
                    _ = try await articles.publish(id, version: latest, editor: context.agent, source: context.source)
                case "unpublish":
                    _ = try await articles.unpublish(id, editor: context.agent, source: context.source)
                default:
                    _ = try await articles.save(
                        id, content: draft.content, expectedVersion: form["expected_version"].flatMap(Int.init), editor: context.agent, source: context.source)
                }
            } catch let failure as any DomainProblem where failure.problem.status != .notFound {
                return try await failed(failure, request, context, article: article, draft: draft, versions: versions)
            }
            return redirect("/console/help/\(id)?flash=saved")
        }
    }

    /// What the form holds: both languages, the category, the slug.
    struct Draft {
        var categoryId: String?
        var slug: String
        var texts: [HelpLocale: ArticleTranslation]
        /// Stored renderings, for a saved version shown as it is.
        var rendered: [HelpLocale: RenderedMarkdown]? = nil

        init(categoryId: String?, slug: String, texts: [HelpLocale: ArticleTranslation]) {
            self.categoryId = categoryId
            self.slug = slug
            self.texts = texts
        }

        init(_ form: ConsoleForm, slug: String? = nil) {
            categoryId = form["category"].flatMap { $0.isEmpty ? nil : $0 }
            self.slug = slug ?? (form["slug"] ?? "").trimmingCharacters(in: .whitespaces)
            texts = [
                .zhCN: ArticleTranslation(title: form["title_zh"] ?? "", body: form["body_zh"] ?? ""),
                .en: ArticleTranslation(title: form["title_en"] ?? "", body: form["body_en"] ?? ""),
            ]
        }

        init(_ content: ArticleContent, slug: String) {
            self.init(categoryId: content.categoryId, slug: slug, texts: content.translations)
            rendered = content.rendered
        }

        var content: ArticleContent { ArticleContent(categoryId: categoryId, translations: texts) }

        func values(categories: [HelpCategory], locale: HelpLocale) -> [String: Any] {
            [
                "slug": slug,
                "title_zh": texts[.zhCN]?.title ?? "", "body_zh": texts[.zhCN]?.body ?? "",
                "title_en": texts[.en]?.title ?? "", "body_en": texts[.en]?.body ?? "",
                "categories": categories.map { ["id": $0.id, "name": $0.name(locale), "selected": $0.id == categoryId] },
            ]
        }
    }

    func failed(
        _ failure: any DomainProblem, _ request: Request, _ context: AuthenticatedContext, article: HelpArticle?, draft: Draft, versions: [HelpArticleVersion]
    ) async throws -> Response {
        var response = try await editorPage(
            request, context, article: article, draft: draft, versions: versions, error: failure.problem.message(ConsolePage.locale(request, agent: context.agent)))
        response.status = failure.problem.status
        return response
    }

    func listPage(_ request: Request, _ context: AuthenticatedContext, error: String? = nil) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("help_center"), request: request, context: context, nav: "help")
        let categories = try await articles.categories()
        values["can_edit"] = context.agent.canEditHelp
        values["articles"] = try await articles.all().map { article -> [String: Any] in
            [
                "id": article.id, "title": article.content.translation(page.locale).title, "slug": article.slug, "status": article.status.rawValue,
                "status_label": page.t("console_help_status_\(article.status.rawValue)"), "live": article.liveVersion.map { "v\($0)" } ?? "—",
                "latest": article.latestVersion, "changes": article.hasUnpublishedChanges && article.status == .published,
                "category": categories.first { $0.id == article.content.categoryId }?.name(page.locale) ?? "—",
                "views": article.views, "yes": article.helpfulYes, "no": article.helpfulNo,
                "when": ConsolePage.shortTime(article.updatedAt), "when_iso": ConsolePage.isoTime(article.updatedAt),
            ]
        }
        values["categories"] = categories.map { ["name": $0.name(page.locale), "slug": $0.slug, "position": $0.position] }
        values["misses"] = try await search.misses(limit: 20).map { ["query": $0.query, "locale": $0.locale, "searches": $0.searches] }
        values["comments"] = try await articles.votes(limit: 50).filter { $0.comment != nil }.prefix(20).map { vote -> [String: Any] in
            ["slug": vote.slug, "comment": vote.comment ?? "", "helpful": vote.helpful, "when": ConsolePage.shortTime(vote.createdAt)]
        }
        let deflections = try await search.deflections(since: Date().addingTimeInterval(-30 * 86_400))
        let counts: [String: Int] = [
            "viewed": deflections[.viewed] ?? 0, "answered": deflections[.answered] ?? 0, "chat": deflections[.chatStarted] ?? 0,
        ]
        values["deflections"] = counts
        if let error { values["form_error"] = error }
        return try resources.render("help-editor-list", values)
    }

    func editorPage(
        _ request: Request, _ context: AuthenticatedContext, article: HelpArticle?, draft: Draft, versions: [HelpArticleVersion], preview: Bool = false,
        error: String? = nil
    ) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        let title = article?.content.translation(page.locale).title ?? page.t("console_help_new")
        var values = page.base(title: title, request: request, context: context, nav: "help")
        values["can_edit"] = context.agent.canEditHelp
        values["draft"] = draft.values(categories: try await articles.categories(), locale: page.locale)
        if let article {
            values["article"] = [
                "id": article.id, "slug": article.slug, "status": article.status.rawValue, "status_label": page.t("console_help_status_\(article.status.rawValue)"),
                "latest": article.latestVersion, "live": article.liveVersion.map { "v\($0)" } ?? page.t("console_help_none_live"),
                "changes": article.hasUnpublishedChanges, "published": article.status == .published,
                "public_zh": HelpViews.path(article.slug, locale: .zhCN), "public_en": HelpViews.path(article.slug, locale: .en),
            ] as [String: Any]
            values["versions"] = versions.map { version -> [String: Any] in
                [
                    "version": version.version, "article_id": article.id, "title": version.content.translation(page.locale).title,
                    "live": version.version == article.liveVersion,
                    "when": ConsolePage.shortTime(version.createdAt), "when_iso": ConsolePage.isoTime(version.createdAt),
                    "can_publish": version.version != article.liveVersion,
                ]
            }
        }
        if preview {
            let locales = Array(HelpLocale.allCases.sorted().reversed())
            let texts = locales.map { draft.texts[$0] ?? ArticleTranslation(title: "", body: "") }
            // Saved versions were rendered when saved; a form's text is rendered for editors only.
            let rendered: [RenderedMarkdown]?
            if let stored = draft.rendered {
                rendered = locales.map { stored[$0] ?? .empty }
            } else if context.agent.canEditHelp {
                rendered = try? await articles.preview(texts.map(\.body), editor: context.agent)
                if rendered == nil { values["form_error"] = page.t("console_help_unrenderable") }
            } else {
                rendered = nil
            }
            if let rendered {
                values["preview"] = zip(locales, zip(texts, rendered)).map { locale, pair -> [String: Any] in
                    ["lang": locale.rawValue, "title": pair.0.title, "html": pair.1.html]
                }
            }
        }
        if let error { values["form_error"] = error }
        return try resources.render("help-editor", values)
    }

    static func id(_ context: AuthenticatedContext) throws -> String {
        guard let id = context.parameters.get("id"), UUID(uuidString: id) != nil else { throw APIError.notFound("article") }
        return id.lowercased()
    }
}
