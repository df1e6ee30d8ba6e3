import Foundation
import Hummingbird
import KefuAccounts
import KefuCore
import KefuQuality
import KefuStore

/// The community feedback board in the help center, `/help/{locale}/feedback`: anyone reads it;
/// a signed-in wallet customer posts, votes, comments and reports abuse with plain forms (no
/// JavaScript needed). The account session cookie is sent to the whole site, so the pages know
/// the reader; the forms carry the account pages' session-bound CSRF token.
struct FeedbackBoardPages {
    let board: FeedbackBoard
    let store: any FeedbackRepository
    let accounts: AccountService
    let csrf: AccountCSRF
    let site: HelpSiteController

    static let pageSize = 20

    /// The signed-in reader and the token their forms carry.
    struct Reader {
        let account: Account
        let csrf: String
    }

    func reader(_ request: Request) async -> Reader? {
        guard let token = AccountPagesController.soleCookie(AccountPagesController.sessionCookie, in: request),
            let (_, account) = try? await accounts.session(token: token)
        else { return nil }
        return Reader(account: account, csrf: csrf.token(session: token))
    }

    func addRoutes(to site: RouterGroup<KefuRequestContext>) {
        site.get("{locale}/feedback") { request, context in try await list(request, context) }
        site.get("{locale}/feedback/new") { request, context in try await newPost(request, context) }
        site.post("{locale}/feedback") { request, context in try await create(request, context) }
        site.get("{locale}/feedback/{number}") { request, context in try await post(request, context) }
        site.post("{locale}/feedback/{number}/vote") { request, context in
            try await act(request, context) { post, form, reader in
                _ = try await board.vote(post.id, by: reader.account, on: form["vote"] != "off")
                return "#vote"
            }
        }
        site.post("{locale}/feedback/{number}/comments") { request, context in
            try await act(request, context) { post, form, reader in
                let comment = try await board.comment(on: post.id, body: form["body"] ?? "", by: reader.account, name: nil)
                return (comment.body.contains("[redacted: ") ? "?removed=1" : "") + "#comment-\(comment.id)"
            }
        }
        site.post("{locale}/feedback/{number}/report") { request, context in
            try await act(request, context) { post, form, reader in
                let comment = form["comment"].flatMap { $0.isEmpty ? nil : FeedbackCommentID(rawValue: String($0.prefix(64))) }
                try await board.report(post.id, comment: comment, by: reader.account, reason: form["reason"] ?? "")
                return "?reported=1#top"
            }
        }
    }

    // MARK: - Pages

    func list(_ request: Request, _ context: KefuRequestContext) async throws -> Response {
        let page = try await site.page(context)
        let views = FeedbackBoardViews(page: page)
        let query = QueryReader(request: request)
        let number = Int(try query.int("page", range: 1...500) ?? 1)
        let filter = FeedbackQuery(
            status: try query.enumValue("status", as: FeedbackStatus.self), kind: try query.enumValue("kind", as: FeedbackKind.self),
            order: try query.enumValue("order", as: FeedbackQuery.Order.self) ?? .top, limit: Self.pageSize + 1, offset: (number - 1) * Self.pageSize)
        let found = try await store.feedbackPosts(filter)
        let shown = Array(found.prefix(Self.pageSize))
        let reader = await reader(request)
        var voted: Set<FeedbackPostID> = []
        if let reader { voted = try await store.feedbackVoted(postIds: shown.map(\.id), account: reader.account.id) }
        var values = page.base(
            title: page.t("feedback_board"), description: page.t("feedback_board_intro"), path: { "/help/\($0.rawValue)/feedback" })
        values["posts"] = shown.map { views.postValues($0, voted: voted.contains($0.id)) }
        values["empty"] = shown.isEmpty
        values["filters"] = views.filters(filter)
        if number > 1 {
            values["newer_href"] = views.listPath(order: filter.order, status: filter.status, kind: filter.kind, page: number - 1)
        }
        if found.count > Self.pageSize {
            values["older_href"] = views.listPath(order: filter.order, status: filter.status, kind: filter.kind, page: number + 1)
        }
        values["new_href"] = "/help/\(page.locale.rawValue)/feedback/new"
        if reader == nil { values["sign_in_href"] = signIn(to: "/help/\(page.locale.rawValue)/feedback/new") }
        return try render(page, "help-feedback", values)
    }

    func newPost(_ request: Request, _ context: KefuRequestContext, form: [String: String] = [:], errors: [String] = [], status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        let page = try await site.page(context)
        let path = "/help/\(page.locale.rawValue)/feedback/new"
        guard let reader = await reader(request) else { return redirect(signIn(to: path + fromWidget(request))) }
        var values = page.base(title: page.t("feedback_new"), path: { "/help/\($0.rawValue)/feedback/new" })
        values["csrf"] = reader.csrf
        values["action"] = "/help/\(page.locale.rawValue)/feedback"
        values["board_href"] = "/help/\(page.locale.rawValue)/feedback"
        let kind = form["kind"].flatMap(FeedbackKind.init(rawValue:)) ?? .suggestion
        values["kinds"] = FeedbackKind.allCases.map { ["value": $0.rawValue, "label": page.t("feedback_kind_\($0.rawValue)"), "checked": $0 == kind] }
        values["title_value"] = form["title"] ?? ""
        values["body_value"] = form["body"] ?? ""
        values["source"] = (form["source"] ?? request.uri.queryParameters.get("from").map { String($0) }) == "widget" ? "widget" : "board"
        values["title_max"] = FeedbackPost.titleLength.upperBound
        values["body_max"] = FeedbackPost.maxBodyLength
        values["unverified"] = !reader.account.emailVerified
        if !errors.isEmpty {
            values["errors"] = errors
            values["has_errors"] = true
        }
        var response = try render(page, "help-feedback-new", values)
        response.status = status
        return response
    }

    func create(_ request: Request, _ context: KefuRequestContext) async throws -> Response {
        let page = try await site.page(context)
        guard let reader = await reader(request) else { return redirect(signIn(to: "/help/\(page.locale.rawValue)/feedback/new")) }
        let form = try await ConsoleForm.read(request, expectedCSRF: reader.csrf)
        do {
            guard let kind = FeedbackKind(rawValue: form["kind"] ?? "") else { throw APIError.validation("kind", .required) }
            let post = try await board.post(
                kind: kind, title: form["title"] ?? "", body: form["body"] ?? "", by: reader.account, name: nil, source: form["source"] ?? "board")
            let removed = (post.title + post.body).contains("[redacted: ")
            return redirect(FeedbackBoardViews(page: page).postPath(post.number) + "?posted=1" + (removed ? "&removed=1" : ""))
        } catch let failure as any DomainProblem {
            let error = failure.problem
            return Self.withRetryAfter(
                try await newPost(request, context, form: form.fields, errors: FeedbackBoardViews(page: page).describe(error), status: error.status), error)
        }
    }

    func post(_ request: Request, _ context: KefuRequestContext, draft: String = "", errors: [String] = [], status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        let page = try await site.page(context)
        let views = FeedbackBoardViews(page: page)
        let post = try await visiblePost(context)
        // A merged duplicate sends its readers (and its old links) to the post it joined; a
        // form sent to it meanwhile shows its problem here instead of vanishing in the redirect.
        if errors.isEmpty, let target = post.mergedInto, let kept = try await store.feedbackPost(id: target), !kept.hidden {
            return redirect(views.postPath(kept.number) + "?merged=\(post.number)")
        }
        let reader = await reader(request)
        var voted = false
        if let reader { voted = try await store.feedbackVoted(postIds: [post.id], account: reader.account.id).contains(post.id) }
        var values = page.base(
            title: post.title, description: String(post.body.prefix(160)).replacingOccurrences(of: "\n", with: " "),
            path: { "/help/\($0.rawValue)/feedback/\(post.number)" })
        values["post"] = views.postValues(post, voted: voted)
        let comments = try await store.feedbackComments(postId: post.id, includeHidden: false)
        values["comments"] = comments.map(views.commentValues)
        if let answer = comments.last(where: \.official) { values["official"] = views.commentValues(answer) }
        values["board_href"] = "/help/\(page.locale.rawValue)/feedback"
        values["action_base"] = views.postPath(post.number)
        if let reader {
            values["csrf"] = reader.csrf
            values["signed_in"] = true
            values["unverified"] = !reader.account.emailVerified
        } else {
            values["sign_in_href"] = signIn(to: views.postPath(post.number))
        }
        values["draft"] = draft
        values["comment_max"] = FeedbackComment.maxLength
        let query = request.uri.queryParameters
        if query.get("posted") != nil { values["flash"] = page.t("feedback_posted") }
        if query.get("reported") != nil { values["flash"] = page.t("feedback_reported") }
        if query.get("removed") != nil { values["secret_warning"] = page.t("feedback_secret_removed") }
        // Only a post that really was merged here is named (a made-up link shows nothing).
        if let merged = query.get("merged").flatMap({ Int64($0) }), merged > 0, let duplicate = try await store.feedbackPost(number: merged),
            duplicate.mergedInto == post.id
        {
            values["flash"] = page.t("feedback_merged_here").replacingOccurrences(of: "{number}", with: String(merged))
        }
        if !errors.isEmpty {
            values["errors"] = errors
            values["has_errors"] = true
        }
        var response = try render(page, "help-feedback-post", values)
        response.status = status
        return response
    }

    /// A customer's form on a post: signed in (else to the sign-in page and back), its CSRF
    /// token checked, then `work`; back to the post, or the post again with the problem in words.
    func act(
        _ request: Request, _ context: KefuRequestContext, _ work: (FeedbackPost, ConsoleForm, Reader) async throws -> String
    ) async throws -> Response {
        let page = try await site.page(context)
        let views = FeedbackBoardViews(page: page)
        let post = try await visiblePost(context)
        guard let reader = await reader(request) else { return redirect(signIn(to: views.postPath(post.number))) }
        let form = try await ConsoleForm.read(request, expectedCSRF: reader.csrf)
        do {
            return redirect(views.postPath(post.number) + (try await work(post, form, reader)))
        } catch let failure as any DomainProblem {
            let error = failure.problem
            return Self.withRetryAfter(try await self.post(request, context, draft: form["body"] ?? "", errors: views.describe(error), status: error.status), error)
        }
    }

    // MARK: - Pieces

    /// A page that says "too many" also says when to come back, as the API's problem does.
    static func withRetryAfter(_ response: Response, _ error: APIError) -> Response {
        guard case .tooManyAttempts(let seconds) = error.kind else { return response }
        var response = response
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    /// The post the path names, unless it is hidden (moderated away: gone for readers).
    func visiblePost(_ context: KefuRequestContext) async throws -> FeedbackPost {
        guard let text = context.parameters.get("number"), text.count <= 18, let number = Int64(text), number > 0,
            let post = try await store.feedbackPost(number: number), !post.hidden
        else { throw APIError.notFound("post") }
        return post
    }

    func signIn(to path: String) -> String {
        "/account/login?next=" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }

    func fromWidget(_ request: Request) -> String {
        request.uri.queryParameters.get("from") == "widget" ? "?from=widget" : ""
    }

    /// Board pages differ by reader (their votes, their forms' token): never kept by a cache.
    func render(_ page: HelpPage, _ template: String, _ values: [String: Any]) throws -> Response {
        var response = try page.render(template, values)
        response.headers[.cacheControl] = "private, no-store"
        return response
    }
}
