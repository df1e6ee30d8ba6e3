import Foundation
import Hummingbird
import KefuCore
import KefuRealtime
import KefuStore

/// Admin pages for channel instances: the list with each widget's embed line, and a webchat
/// inbox's name and pre-chat form.
struct ConsoleInboxSettingsController {
    let inboxes: InboxController
    let resources: ConsoleResources
    let presence: any PresenceTracking
    let publicURL: String

    /// Topic rows the form shows beyond the saved ones, for adding new topics.
    static let blankTopicRows = 2

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("admin/inboxes") { request, context in
            try context.require(.admin)
            return try await listPage(request, context)
        }
        // Adding an inbox: live chat, or a Telegram bot (its token checked with Telegram).
        group.post("admin/inboxes") { request, context in
            try context.require(.admin)
            let submitted = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let kind = submitted["kind"] ?? ""
            guard Self.creatableKinds.contains(kind) else { throw APIError.validation("kind", .notOneOf(Self.creatableKinds)) }
            do {
                let inbox = try await inboxes.create(
                    name: submitted["name"] ?? "", kind: kind, botToken: kind == "telegram" ? submitted["bot_token"] : nil, context: context
                ).inbox
                return redirect("/console/admin/inboxes?flash=inbox_added#inbox-\(inbox.id.rawValue)")
            } catch let failure as any DomainProblem {
                // The form again with what went wrong in words (the token is not sent back).
                let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent))
                var response = try await listPage(
                    request, context, error: failure.problem.message(page.locale), form: ["name": submitted["name"] ?? "", "kind": kind])
                response.status = failure.problem.status == .serviceUnavailable ? .serviceUnavailable : .badRequest
                return response
            }
        }
        // Whether the inbox's resolved conversations get a satisfaction survey.
        group.post("admin/inboxes/{id}/csat") { request, context in
            try context.require(.admin)
            let id = try context.parameters.id("id", as: InboxID.self, thing: "inbox")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let enabled = form["enabled"] == "1"
            _ = try await inboxes.store.setSurveys(
                inboxId: id, enabled: enabled,
                audit: context.source.audit("inbox.csat_changed", subjectKind: "inbox", subjectId: id.rawValue, detail: ["enabled": String(enabled)]))
            return redirect("/console/admin/inboxes?flash=saved")
        }
        group.get("admin/inboxes/{id}") { request, context in
            try context.require(.admin)
            let inbox = try await webchatInbox(context)
            return try settingsPage(request, context, inbox: inbox, name: inbox.name, form: inbox.prechatForm ?? .standard, errors: [])
        }
        group.post("admin/inboxes/{id}") { request, context in
            try context.require(.admin)
            let inbox = try await webchatInbox(context)
            let submitted = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let name = submitted["name"] ?? ""
            let form = Self.prechatForm(from: submitted)
            do {
                _ = try await inboxes.update(inbox.id, name: name, prechatForm: form, context: context)
            } catch let failure as any DomainProblem {
                let error = failure.problem
                guard case .validation(let fields) = error.kind else { throw error }
                // Show the form again as the admin filled it in, with every problem named.
                let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent))
                var response = try settingsPage(
                    request, context, inbox: inbox, name: name, form: form,
                    errors: fields.map { Self.describe(field: $0.0, problem: $0.1, page: page) })
                response.status = .badRequest
                return response
            }
            return redirect("/console/admin/inboxes/\(inbox.id.rawValue)?flash=saved")
        }
    }

    /// Kinds an admin adds here; the email inbox comes from the support address.
    static let creatableKinds = ["webchat", "telegram"]

    private func listPage(
        _ request: Request, _ context: AuthenticatedContext, error: String? = nil, form: [String: String] = [:]
    ) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("inboxes"), request: request, context: context, nav: "admin")
        values["tab_inboxes"] = true
        values["inboxes"] = try await inboxes.store.listInboxes().map { inbox -> [String: Any] in
            var row: [String: Any] = [
                "id": inbox.id.rawValue, "name": inbox.name, "kind": page.t("inbox_kind_\(inbox.kind.rawValue)"), "csat": inbox.csatEnabled,
                "is_webchat": inbox.kind == .webchat,
                "embed": #"<script src="\#(publicURL)/widget.js" data-inbox="\#(inbox.id.rawValue)" async></script>"#,
            ]
            // Absent, not empty: an empty string still opens a mustache section.
            if let bot = inbox.telegram?.username { row["telegram_username"] = bot }
            return row
        }
        if let error { values["form_error"] = error }
        let chosen = form["kind"] ?? "webchat"
        values["new_name"] = form["name"] ?? ""
        values["kinds"] = Self.creatableKinds.map { kind in ["value": kind, "label": page.t("inbox_kind_\(kind)"), "selected": kind == chosen] }
        return try resources.render("inboxes", values)
    }

    private func webchatInbox(_ context: AuthenticatedContext) async throws -> Inbox {
        let id = try context.parameters.id("id", as: InboxID.self, thing: "inbox")
        guard let inbox = try await inboxes.store.inbox(id: id), inbox.kind == .webchat else { throw APIError.notFound("inbox") }
        return inbox
    }

    /// The form's fields → a pre-chat form. Topic rows with an empty key are dropped (that is
    /// how a topic is removed); the rest keep their order.
    static func prechatForm(from form: ConsoleForm) -> PrechatForm {
        func ask(_ field: String) -> PrechatForm.Ask { form[field].flatMap(PrechatForm.Ask.init(rawValue:)) ?? .hidden }
        var topics: [PrechatForm.Topic] = []
        for index in 0..<(PrechatForm.maxTopics + blankTopicRows) {
            let key = (form["topic_key_\(index)"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            guard !key.isEmpty else { continue }
            topics.append(
                .init(key: key, label: LocalizedText(en: form["topic_en_\(index)"] ?? "", zhCN: form["topic_zh_\(index)"] ?? "")))
        }
        return PrechatForm(name: ask("ask_name"), email: ask("ask_email"), walletUid: ask("ask_walletUid"), topic: ask("ask_topic"), topics: topics)
    }

    /// One problem as a sentence an admin understands ("Topic 3: …").
    static func describe(field: String, problem: FieldProblem, page: ConsolePage) -> String {
        if field == "name" { return page.t("error_inbox_name") }
        if field == "prechatForm.topics" {
            return page.t(problem == .required ? "error_topics_required" : "error_topics_too_many")
        }
        // "prechatForm.topics[2].key" → row 3, part "key"
        guard let open = field.firstIndex(of: "["), let close = field.firstIndex(of: "]"),
            let index = Int(field[field.index(after: open)..<close])
        else { return page.t("error_prechat_invalid") }
        let part = field[field.index(after: close)...]
        let key: String =
            switch (part, problem) {
            case (".key", .rule("duplicate")): "error_topic_duplicate"
            case (".key", _): "error_topic_key"
            case (_, .required): "error_topic_label_required"
            default: "error_topic_label_invalid"
            }
        return "\(page.t("topic")) \(index + 1): \(page.t(key))"
    }

    private func settingsPage(
        _ request: Request, _ context: AuthenticatedContext, inbox: Inbox, name: String, form: PrechatForm, errors: [String]
    ) throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("inbox_settings"), request: request, context: context, nav: "admin")
        values["tab_inboxes"] = true
        values["inbox"] = ["id": inbox.id.rawValue, "name": name]
        values["fields"] = [("name", "widget_name", form.name), ("email", "widget_email", form.email),
            ("walletUid", "widget_uid", form.walletUid), ("topic", "widget_topic", form.topic),
        ].map { field, label, ask -> [String: Any] in
            [
                "field": field, "label": page.t(label),
                "options": PrechatForm.Ask.allCases.map { option in
                    ["value": option.rawValue, "label": page.t("ask_\(option.rawValue)"), "selected": option == ask]
                },
            ]
        }
        let rows = form.topics.map { ($0.key, $0.label.en, $0.label.zhCN) } + Array(repeating: ("", "", ""), count: Self.blankTopicRows)
        values["topics"] = rows.prefix(PrechatForm.maxTopics + Self.blankTopicRows).enumerated().map { index, row in
            ["index": index, "number": index + 1, "key": row.0, "en": row.1, "zh": row.2] as [String: Any]
        }
        if !errors.isEmpty {
            values["errors"] = errors
            values["has_errors"] = true
        }
        values["preview_url"] = "/widget/frame?inbox=\(inbox.id.rawValue)"
        return try resources.render("inbox-settings", values)
    }
}
