import Foundation
import Hummingbird
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore

/// The community board in the console: `/console/feedback` (every post, hidden ones too), a
/// post's page (official answer; for supervisors status, hide, lock, merge, comment moderation)
/// and the abuse reports' queue; on a conversation, a suggestion turned into a post or linked
/// to one. The same `FeedbackBoard` as the API.
struct ConsoleFeedbackController {
    let board: FeedbackBoard
    let store: any FeedbackRepository & ConversationRepository
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("feedback") { request, context in try await listPage(request, context) }
        group.get("feedback/reports") { request, context in
            try context.require(.supervisor)
            return try await reportsPage(request, context)
        }
        group.post("feedback/reports/{id}/resolve") { request, context in
            try context.require(.supervisor)
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0,
                try await store.resolveFeedbackReport(id: id, by: context.agent.id)
            else { throw APIError.notFound("report") }
            return redirect("/console/feedback/reports?flash=saved")
        }
        group.get("feedback/{id}") { request, context in try await postPage(request, context) }
        group.post("feedback/{id}/answer") { request, context in
            try await change(request, context) { id, form in _ = try await board.answer(id, body: form["body"] ?? "", by: context.agent) }
        }
        group.post("feedback/{id}/status") { request, context in
            try context.require(.supervisor)
            return try await change(request, context) { id, form in
                guard let status = FeedbackStatus(rawValue: form["status"] ?? "") else { throw APIError.validation("status", .required) }
                _ = try await board.setStatus(id, to: status, by: context.source)
            }
        }
        group.post("feedback/{id}/moderate") { request, context in
            try context.require(.supervisor)
            return try await change(request, context) { id, form in
                _ = try await board.moderate(id, hidden: form["hidden"].map { $0 == "1" }, locked: form["locked"].map { $0 == "1" }, by: context.source)
            }
        }
        group.post("feedback/{id}/merge") { request, context in
            try context.require(.supervisor)
            return try await change(request, context) { id, form in
                guard let number = Self.postNumber(form["into"]), let target = try await store.feedbackPost(number: number) else {
                    throw APIError.notFound("post")
                }
                _ = try await board.merge(id, into: target.id, by: context.source)
            }
        }
        group.post("feedback/comments/{id}/hide") { request, context in
            try context.require(.supervisor)
            let id = try context.parameters.id("id", as: FeedbackCommentID.self, thing: "comment")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            try await board.hideComment(id, hidden: form["hidden"] == "1", by: context.source)
            // Back to the post the form names, when it names one by its id.
            guard let post = form["post"].flatMap(UUID.init(uuidString:)) else { return redirect("/console/feedback?flash=saved") }
            return redirect("/console/feedback/\(post.uuidString.lowercased())?flash=saved")
        }
        // From a conversation: the customer's suggestion as a new post, or a link to an existing one.
        group.post("conversations/{id}/feedback-post") { request, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            do {
                let post = try await board.postFromConversation(
                    id, kind: FeedbackKind(rawValue: form["kind"] ?? "") ?? .suggestion, title: form["title"] ?? "", body: form["body"] ?? "",
                    by: context.agent)
                return redirect("/console/feedback/\(post.id)?flash=feedback_post_created")
            } catch QualityError.invalid {
                return redirect("/console/conversations/\(id)?error=feedback_post_invalid#feedback")
            }
        }
        group.post("conversations/{id}/feedback-link") { request, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            guard let number = Self.postNumber(form["number"]), let post = try await store.feedbackPost(number: number) else {
                return redirect("/console/conversations/\(id)?error=feedback_post_unknown#feedback")
            }
            try await board.link(post.id, to: id, by: context.agent.id)
            return redirect("/console/conversations/\(id)?flash=feedback_linked#feedback")
        }
    }

    static let pageSize = 100

    /// "#12", "12" or " 12 " as a post number.
    static func postNumber(_ text: String?) -> Int64? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.hasPrefix("#") ? trimmed.dropFirst() : Substring(trimmed)
        guard digits.count <= 18, let number = Int64(digits), number > 0 else { return nil }
        return number
    }

    /// A form on a post's page: the CSRF token, `work`, then back to the post with "saved" or
    /// the problem's key.
    func change(
        _ request: Request, _ context: AuthenticatedContext, _ work: (FeedbackPostID, ConsoleForm) async throws -> Void
    ) async throws -> Response {
        let id = try context.parameters.id("id", as: FeedbackPostID.self, thing: "post")
        let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
        do {
            try await work(id, form)
        } catch QualityError.invalid {
            return redirect("/console/feedback/\(id)?error=feedback_answer_invalid")
        } catch QualityError.conflict {
            return redirect("/console/feedback/\(id)?error=feedback_post_closed")
        }
        return redirect("/console/feedback/\(id)?flash=saved")
    }

    // MARK: - Pages

    func page(_ request: Request, _ context: AuthenticatedContext) -> ConsolePage {
        ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
    }

    func listPage(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = page(request, context)
        let query = QueryReader(request: request)
        let number = Int(try query.int("page", range: 1...1_000) ?? 1)
        let filter = FeedbackQuery(
            status: try query.enumValue("status", as: FeedbackStatus.self), kind: try query.enumValue("kind", as: FeedbackKind.self),
            order: try query.enumValue("order", as: FeedbackQuery.Order.self) ?? .newest, includeHidden: true, limit: Self.pageSize + 1,
            offset: (number - 1) * Self.pageSize)
        var values = page.base(title: page.t("feedback_board"), request: request, context: context, nav: "feedback")
        let found = try await store.feedbackPosts(filter)
        values["posts"] = found.prefix(Self.pageSize).map { post -> [String: Any] in
            var row = postValues(post, page: page)
            row["merged"] = post.mergedInto != nil
            return row
        }
        // Older and newer pages keep the filters.
        func pageHref(_ target: Int) -> String {
            var parts = ["order=\(filter.order.rawValue)", "page=\(target)"]
            if let status = filter.status { parts.append("status=\(status.rawValue)") }
            if let kind = filter.kind { parts.append("kind=\(kind.rawValue)") }
            return "/console/feedback?" + parts.joined(separator: "&")
        }
        if number > 1 { values["newer_href"] = pageHref(number - 1) }
        if found.count > Self.pageSize { values["older_href"] = pageHref(number + 1) }
        values["statuses"] = FeedbackStatus.allCases.map { ["value": $0.rawValue, "label": page.t("feedback_status_\($0.rawValue)"), "selected": $0 == filter.status] }
        values["kinds"] = FeedbackKind.allCases.map { ["value": $0.rawValue, "label": page.t("feedback_kind_\($0.rawValue)"), "selected": $0 == filter.kind] }
        values["newest"] = filter.order == .newest
        if context.agent.role >= .supervisor { values["open_reports"] = try await store.openFeedbackReportCount() }
        return try resources.render("feedback", values)
    }

    func postPage(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = page(request, context)
        let id = try context.parameters.id("id", as: FeedbackPostID.self, thing: "post")
        guard let post = try await store.feedbackPost(id: id) else { throw APIError.notFound("post") }
        var values = page.base(title: "#\(post.number) \(post.title)", request: request, context: context, nav: "feedback")
        values["post"] = postValues(post, page: page)
        values["public_href"] = "/help/\(UILocale(storedTag: post.locale).rawValue)/feedback/\(post.number)"
        if let target = post.mergedInto, let kept = try await store.feedbackPost(id: target) {
            values["merged_into"] = ["href": "/console/feedback/\(kept.id)", "number": kept.number]
        }
        values["comments"] = try await store.feedbackComments(postId: id, includeHidden: true).map { comment -> [String: Any] in
            [
                "id": comment.id.rawValue, "author": comment.authorName, "body": comment.body, "official": comment.official, "hidden": comment.hidden,
                "at_iso": ConsolePage.isoTime(comment.createdAt), "at_text": ConsolePage.shortTime(comment.createdAt),
            ]
        }
        var links: [[String: Any]] = []
        for conversationId in try await store.feedbackLinks(postId: id) {
            guard let conversation = try await store.conversation(id: conversationId) else { continue }
            links.append([
                "href": "/console/conversations/\(conversationId)", "number": conversation.number, "subject": conversation.subject ?? page.t("no_subject"),
            ])
        }
        values["links"] = links
        values["statuses"] = FeedbackStatus.allCases.map { ["value": $0.rawValue, "label": page.t("feedback_status_\($0.rawValue)"), "selected": $0 == post.status] }
        values["reports"] = try await store.openFeedbackReports(postId: id, limit: 100, offset: 0).map(reportValues)
        values["can_moderate"] = context.agent.role >= .supervisor
        values["open"] = post.mergedInto == nil
        // Nobody answers on a hidden post (the board does not show it); unhide it first.
        values["can_answer"] = post.mergedInto == nil && !post.hidden
        return try resources.render("feedback-post", values)
    }

    func reportsPage(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = page(request, context)
        var values = page.base(title: page.t("feedback_reports"), request: request, context: context, nav: "feedback")
        let number = Int(try QueryReader(request: request).int("page", range: 1...1_000) ?? 1)
        let reports = try await store.openFeedbackReports(postId: nil, limit: Self.pageSize + 1, offset: (number - 1) * Self.pageSize)
        if number > 1 { values["newer_href"] = "/console/feedback/reports?page=\(number - 1)" }
        if reports.count > Self.pageSize { values["older_href"] = "/console/feedback/reports?page=\(number + 1)" }
        values["open_reports"] = try await store.openFeedbackReportCount()
        // Reports gather on the same posts: each post, and its comments, is read once.
        var posts: [FeedbackPostID: FeedbackPost?] = [:]
        var comments: [FeedbackPostID: [FeedbackCommentID: String]] = [:]
        var rows: [[String: Any]] = []
        for report in reports.prefix(Self.pageSize) {
            var row = reportValues(report)
            if posts[report.postId] == nil { posts[report.postId] = .some(try await store.feedbackPost(id: report.postId)) }
            if let post = posts[report.postId] ?? nil { row["post"] = postValues(post, page: page) }
            if let comment = report.commentId {
                if comments[report.postId] == nil {
                    comments[report.postId] = Dictionary(
                        try await store.feedbackComments(postId: report.postId, includeHidden: true).map { ($0.id, $0.body) }, uniquingKeysWith: { first, _ in first })
                }
                row["comment"] = comments[report.postId]?[comment] ?? ""
            }
            rows.append(row)
        }
        values["reports"] = rows
        return try resources.render("feedback-reports", values)
    }

    func postValues(_ post: FeedbackPost, page: ConsolePage) -> [String: Any] {
        [
            "id": post.id.rawValue, "number": post.number, "href": "/console/feedback/\(post.id)", "title": post.title, "body": post.body,
            "kind_label": page.t("feedback_kind_\(post.kind.rawValue)"), "status_label": page.t("feedback_status_\(post.status.rawValue)"),
            "status": post.status.rawValue, "votes": post.votes, "comments": post.comments, "author": post.authorName,
            "source_label": page.t("feedback_source_\(post.source)"), "hidden": post.hidden, "locked": post.locked,
            "at_iso": ConsolePage.isoTime(post.createdAt), "at_text": ConsolePage.shortTime(post.createdAt),
        ]
    }

    func reportValues(_ report: FeedbackReport) -> [String: Any] {
        [
            "id": report.id, "reason": report.reason, "on_comment": report.commentId != nil, "at_iso": ConsolePage.isoTime(report.createdAt),
            "at_text": ConsolePage.shortTime(report.createdAt),
        ]
    }
}
