import Foundation
import Hummingbird
import KefuCore
import KefuHelp
import KefuRealtime

/// `/console/impersonation`: customers' reports of accounts that pretended to be support, new
/// ones first; supervisors confirm (the verify page keeps counting it) or dismiss (it stops).
struct ConsoleImpersonationController {
    let safety: TrustAndSafetyController
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("impersonation") { request, context in
            try context.require(.supervisor)
            return try await page(request, context)
        }
        group.post("impersonation/{id}") { request, context in
            try context.require(.supervisor)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            guard let status = form["status"].flatMap(ImpersonationReport.Status.init(rawValue:)), status != .new else {
                throw APIError.validation("status", .notOneOf(["confirmed", "dismissed"]))
            }
            _ = try await safety.safety.reports.review(id: try TrustAndSafetyController.reportId(context), status: status, by: context.agent.id, source: context.source)
            return redirect("/console/impersonation?flash=saved")
        }
        group.get("impersonation/{id}/screenshot") { _, context in
            try context.require(.supervisor)
            return try await safety.screenshot(try await safety.safety.reports.report(id: try TrustAndSafetyController.reportId(context)), context: context)
        }
    }

    func page(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("impersonation_reports"), request: request, context: context, nav: "impersonation")
        let chosen = try QueryReader(request: request).enumValue("status", as: ImpersonationReport.Status.self)
        let status = request.uri.queryParameters.get("status") == "all" ? nil : (chosen ?? .new)
        values["tabs"] = (ImpersonationReport.Status.allCases.map(\.rawValue) + ["all"]).map { value -> [String: Any] in
            ["href": "/console/impersonation?status=\(value)", "label": page.t("impersonation_status_\(value)"), "current": value == (status?.rawValue ?? "all")]
        }
        let before = request.uri.queryParameters.get("before").flatMap { UUID(uuidString: String($0)) }?.uuidString.lowercased()
        let reports = try await safety.safety.reports.list(status: status, before: before)
        if reports.count == 100, let last = reports.last {
            values["older_href"] = "/console/impersonation?status=\(status?.rawValue ?? "all")&before=\(last.id)"
        }
        let counts = try await safety.safety.reports.counts(for: reports)
        values["reports"] = reports.map { report -> [String: Any] in
            [
                "id": report.id, "place": page.t("help_report_place_\(report.place.rawValue)"), "handle": report.handle, "key": report.handleKey,
                "count": counts[report.handleKey] ?? 0, "note": report.note, "has_screenshot": report.screenshotSha256 != nil,
                "status": report.status.rawValue, "status_label": page.t("impersonation_status_\(report.status.rawValue)"),
                "is_new": report.status == .new, "when": ConsolePage.shortTime(report.createdAt), "when_iso": ConsolePage.isoTime(report.createdAt),
            ]
        }
        return try resources.render("impersonation", values)
    }
}
