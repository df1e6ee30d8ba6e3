import Foundation
import Hummingbird
import KefuChannels
import KefuCore
import KefuRealtime

/// `/console/announcements`: supervisors write announcements in both languages, edit, publish
/// (posted to the official Telegram channels) and withdraw them, and read each one's history.
struct ConsoleAnnouncementsController {
    let announcements: Announcements
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("announcements") { request, context in
            try context.require(.supervisor)
            return try await listPage(request, context)
        }
        group.post("announcements") { request, context in
            try context.require(.supervisor)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let text = Self.text(form)
            do {
                let made = try await announcements.create(text, source: context.source, agent: context.agent.id)
                return redirect("/console/announcements/\(made.id)?flash=saved")
            } catch let failure as any DomainProblem {
                var response = try await listPage(request, context, error: failure.problem.message(ConsolePage.locale(request, agent: context.agent)), draft: text)
                response.status = .badRequest
                return response
            }
        }
        group.get("announcements/{id}") { request, context in
            try context.require(.supervisor)
            return try await editPage(request, context, id: try AnnouncementController.id(context))
        }
        group.post("announcements/{id}") { request, context in
            try context.require(.supervisor)
            let id = try AnnouncementController.id(context)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            do {
                switch form["action"] {
                case "publish": _ = try await announcements.publish(id, source: context.source, agent: context.agent.id)
                case "unpublish": _ = try await announcements.unpublish(id, source: context.source, agent: context.agent.id)
                default: _ = try await announcements.edit(id, text: Self.text(form), source: context.source, agent: context.agent.id)
                }
            } catch let failure as any DomainProblem where failure.problem.status != .notFound {
                var response = try await editPage(
                    request, context, id: id, error: failure.problem.message(ConsolePage.locale(request, agent: context.agent)),
                    draft: form["action"] == nil ? Self.text(form) : nil)
                response.status = failure.problem.status == .conflict ? .conflict : .badRequest
                return response
            }
            return redirect("/console/announcements/\(id)?flash=saved")
        }
    }

    static func text(_ form: ConsoleForm) -> AnnouncementText {
        AnnouncementText(titleEn: form["title_en"] ?? "", titleZh: form["title_zh"] ?? "", bodyEn: form["body_en"] ?? "", bodyZh: form["body_zh"] ?? "")
    }

    static func values(_ text: AnnouncementText) -> [String: Any] {
        ["title_en": text.titleEn, "title_zh": text.titleZh, "body_en": text.bodyEn, "body_zh": text.bodyZh]
    }

    private func listPage(_ request: Request, _ context: AuthenticatedContext, error: String? = nil, draft: AnnouncementText? = nil) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("announcements"), request: request, context: context, nav: "announcements")
        values["announcements"] = try await announcements.all().map { item -> [String: Any] in
            [
                "id": item.id, "title": item.text.title(page.locale.rawValue), "status": item.status.rawValue,
                "status_label": page.t("announcement_\(item.status.rawValue)"),
                "when": ConsolePage.shortTime(item.publishedAt ?? item.updatedAt), "when_iso": ConsolePage.isoTime(item.publishedAt ?? item.updatedAt),
            ]
        }
        if let error { values["form_error"] = error }
        values["draft"] = Self.values(draft ?? AnnouncementText(titleEn: "", titleZh: "", bodyEn: "", bodyZh: ""))
        return try resources.render("announcements", values)
    }

    private func editPage(
        _ request: Request, _ context: AuthenticatedContext, id: String, error: String? = nil, draft: AnnouncementText? = nil
    ) async throws -> Response {
        let (item, history) = try await announcements.announcement(id)
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: item.text.title(page.locale.rawValue), request: request, context: context, nav: "announcements")
        values["announcement"] = Self.values(draft ?? item.text).merging([
            "id": item.id, "status": item.status.rawValue, "status_label": page.t("announcement_\(item.status.rawValue)"),
            "can_publish": item.status != .published, "can_unpublish": item.status == .published,
        ]) { first, _ in first }
        values["history"] = history.reversed().map { version -> [String: Any] in
            [
                "version": version.version, "action": page.t("announcement_action_\(version.action.rawValue)"), "title": version.text.title(page.locale.rawValue),
                "when": ConsolePage.shortTime(version.createdAt), "when_iso": ConsolePage.isoTime(version.createdAt),
            ]
        }
        if let error { values["form_error"] = error }
        return try resources.render("announcement", values)
    }
}
