import Foundation
import KefuCore
import KefuStore

/// How the community board looks on a help page: posts, comments and problems as template
/// values. Everything a customer or agent wrote goes out as text (the templates escape it and
/// the stylesheet keeps its line breaks): nothing on the board is markup.
struct FeedbackBoardViews {
    let page: HelpPage

    var locale: String { page.locale.rawValue }

    func postPath(_ number: Int64) -> String { "/help/\(locale)/feedback/\(number)" }

    func postValues(_ post: FeedbackPost, voted: Bool = false) -> [String: Any] {
        [
            "number": post.number, "href": postPath(post.number), "title": post.title, "body": post.body,
            "kind": post.kind.rawValue, "kind_label": page.t("feedback_kind_\(post.kind.rawValue)"),
            "status": post.status.rawValue, "status_label": page.t("feedback_status_\(post.status.rawValue)"),
            "has_status": post.status != .open,
            "votes": post.votes, "votes_label": count("feedback_votes", post.votes),
            "comments": post.comments, "comments_label": count("feedback_comments_count", post.comments),
            "author": post.authorName, "date": page.date(post.createdAt), "date_iso": HelpPage.iso(post.createdAt),
            "locked": post.locked, "voted": voted,
        ]
    }

    func commentValues(_ comment: FeedbackComment) -> [String: Any] {
        [
            "id": comment.id.rawValue, "author": comment.authorName, "body": comment.body, "official": comment.official,
            "date": page.date(comment.createdAt), "date_iso": HelpPage.iso(comment.createdAt),
        ]
    }

    /// "1 vote", "12 votes": the catalog has one form with {count}, and the singular for one.
    func count(_ key: String, _ value: Int) -> String {
        page.t(value == 1 ? key + "_one" : key).replacingOccurrences(of: "{count}", with: String(value))
    }

    /// The list page's filters as links: each keeps the others and starts again at page one.
    func filters(_ query: FeedbackQuery) -> [String: Any] {
        func href(order: FeedbackQuery.Order? = nil, status: FeedbackStatus?? = nil, kind: FeedbackKind?? = nil) -> String {
            listPath(order: order ?? query.order, status: status ?? query.status, kind: kind ?? query.kind, page: 1)
        }
        return [
            "orders": FeedbackQuery.Order.allCases.map { order -> [String: Any] in
                ["href": href(order: order), "label": page.t("feedback_order_\(order.rawValue)"), "current": order == query.order]
            },
            "statuses": ([nil] + FeedbackStatus.allCases.map(Optional.some)).map { status -> [String: Any] in
                [
                    "href": href(status: .some(status)), "label": status.map { page.t("feedback_status_\($0.rawValue)") } ?? page.t("feedback_all"),
                    "current": status == query.status,
                ]
            },
            "kinds": ([nil] + FeedbackKind.allCases.map(Optional.some)).map { kind -> [String: Any] in
                [
                    "href": href(kind: .some(kind)), "label": kind.map { page.t("feedback_kind_\($0.rawValue)") } ?? page.t("feedback_all_kinds"),
                    "current": kind == query.kind,
                ]
            },
        ]
    }

    func listPath(order: FeedbackQuery.Order, status: FeedbackStatus?, kind: FeedbackKind?, page number: Int) -> String {
        var parts: [String] = []
        if order != .top { parts.append("order=\(order.rawValue)") }
        if let status { parts.append("status=\(status.rawValue)") }
        if let kind { parts.append("kind=\(kind.rawValue)") }
        if number > 1 { parts.append("page=\(number)") }
        return "/help/\(locale)/feedback" + (parts.isEmpty ? "" : "?" + parts.joined(separator: "&"))
    }

    /// A board error in the reader's words: the field rules one by one, the hourly limit, a
    /// locked or closed post; anything else as the API would word it.
    func describe(_ error: APIError) -> [String] {
        switch error.kind {
        case .validation(let fields):
            return fields.map { name, problem in
                let labels = ["title": "feedback_field_title", "reason": "feedback_field_reason", "kind": "feedback_kind"]
                let field = page.t(labels[name] ?? "feedback_field_body")
                let rule: String
                switch problem {
                case .tooLong(let max): rule = page.t("feedback_rule_too_long").replacingOccurrences(of: "{max}", with: String(max))
                case .tooShort(let min): rule = page.t("feedback_rule_too_short").replacingOccurrences(of: "{min}", with: String(min))
                default: rule = page.t("feedback_rule_required")
                }
                return "\(field): \(rule)"
            }
        case .tooManyAttempts: return [page.t("feedback_error_too_many")]
        case .conflict(let what) where what == "unverified_account": return [page.t("feedback_verify_email_first")]
        case .conflict: return [page.t("feedback_error_closed")]
        default: return [error.message(page.locale)]
        }
    }
}
