import Foundation
import Hummingbird
import KefuCore
import KefuHelp
import KefuRealtime

/// `/console/admin/official-channels`: the list the verify page checks against (admins add and
/// remove entries) and what customers checked there, counted per value, lookalikes first.
struct ConsoleOfficialChannelsController {
    let channels: OfficialChannels
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("admin/official-channels") { request, context in
            try context.require(.admin)
            return try await page(request, context)
        }
        group.post("admin/official-channels") { request, context in
            try context.require(.admin)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            do {
                if form["action"] == "remove" {
                    guard let id = form["id"], UUID(uuidString: id) != nil else { throw APIError.notFound("official_channel") }
                    try await channels.remove(id: id.lowercased(), source: context.source)
                } else {
                    guard let kind = form["kind"].flatMap(OfficialChannelKind.init(rawValue:)) else {
                        throw APIError.validation("kind", .notOneOf(OfficialChannelKind.allCases.map(\.rawValue)))
                    }
                    _ = try await channels.add(kind: kind, value: form["value"] ?? "", note: form["note"], admin: context.agent.id, source: context.source)
                }
            } catch let failure as any DomainProblem {
                var response = try await page(request, context, error: failure.problem.message(ConsolePage.locale(request, agent: context.agent)))
                response.status = failure.problem.status
                return response
            }
            return redirect("/console/admin/official-channels?flash=saved")
        }
    }

    func page(_ request: Request, _ context: AuthenticatedContext, error: String? = nil) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("official_channels"), request: request, context: context, nav: "admin")
        values["tab_official"] = true
        values["officials"] = try await channels.list().map { listed -> [String: Any] in
            var row: [String: Any] = [
                "kind": page.t("help_kind_\(listed.channel.kind.rawValue)"), "value": listed.channel.value, "note": listed.note ?? "",
                "source": page.t("official_source_\(listed.source.rawValue)"),
            ]
            if let id = listed.id { row["id"] = id }
            return row
        }
        values["kinds"] = OfficialChannelKind.allCases.map { ["value": $0.rawValue, "label": page.t("help_kind_\($0.rawValue)")] }
        let checks = try await channels.checks(limit: 200)
        // Lookalikes first: they are what the team acts on.
        values["checks"] = (checks.filter { $0.status == .impersonation } + checks.filter { $0.status != .impersonation }).map { check -> [String: Any] in
            [
                "value": check.value, "status": check.status.rawValue, "status_label": page.t("official_check_\(check.status.rawValue)"),
                "resembles": check.resembles ?? "", "checks": check.checks,
                "when": ConsolePage.shortTime(check.lastAt), "when_iso": ConsolePage.isoTime(check.lastAt),
            ]
        }
        if let error { values["form_error"] = error }
        return try resources.render("official-channels", values)
    }
}
