import Foundation
import Hummingbird
import KefuChannels
import KefuCore
import KefuRealtime
import KefuStore

/// Admin → Webhooks: the subscriptions, which are failing or disabled and why, each one's recent
/// deliveries; adding one (its secret shown once), re-enabling, replaying failures, removing.
struct ConsoleWebhooksController {
    let webhooks: Webhooks
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("admin/webhooks") { request, context in
            try context.require(.admin)
            return try await page(request, context)
        }
        group.post("admin/webhooks") { request, context in
            try context.require(.admin)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let events = OutboundEventType.allCases.map(\.rawValue).filter { form["event_\($0)"] == "1" }
            do {
                let made = try await webhooks.create(
                    url: form["url"] ?? "", events: events, includePrivateNotes: form["include_notes"] == "1", source: context.source)
                return try await page(request, context, secret: (made.subscription.id, made.secret))
            } catch let failure as any DomainProblem {
                var response = try await page(request, context, error: failure.problem.message(ConsolePage.locale(request, agent: context.agent)))
                response.status = .badRequest
                return response
            }
        }
        group.post("admin/webhooks/{id}") { request, context in
            try context.require(.admin)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let id = try WebhookController.id(context)
            switch form["action"] {
            case "enable": _ = try await webhooks.update(id: id, url: nil, events: nil, includePrivateNotes: nil, enabled: true, source: context.source)
            case "disable": _ = try await webhooks.update(id: id, url: nil, events: nil, includePrivateNotes: nil, enabled: false, source: context.source)
            case "replay": _ = try await webhooks.replayFailed(of: id)
            case "delete": try await webhooks.delete(id: id, source: context.source)
            default: throw APIError.validation("action", .notOneOf(["enable", "disable", "replay", "delete"]))
            }
            return redirect("/console/admin/webhooks?flash=saved")
        }
    }

    private func page(
        _ request: Request, _ context: AuthenticatedContext, secret: (id: String, secret: String)? = nil, error: String? = nil
    ) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("webhooks"), request: request, context: context, nav: "admin")
        values["tab_webhooks"] = true
        var rows: [[String: Any]] = []
        for subscription in try await webhooks.list() {
            let recent = try await webhooks.deliveries(of: subscription.id, status: nil, limit: 5)
            var row: [String: Any] = [
                "id": subscription.id, "url": subscription.url, "events": subscription.events.map(\.rawValue).joined(separator: ", "),
                "is_disabled": subscription.status == .disabled, "status_label": page.t("webhook_\(subscription.status.rawValue)"),
                "deliveries": recent.map { delivery -> [String: Any] in
                    [
                        "event": delivery.eventType.rawValue, "status": delivery.status.rawValue, "attempts": delivery.attempts,
                        "response": delivery.responseStatus.map(String.init) ?? "—", "error": delivery.lastError ?? "",
                        "when": ConsolePage.shortTime(delivery.createdAt), "when_iso": ConsolePage.isoTime(delivery.createdAt),
                    ]
                },
            ]
            if let reason = subscription.disabledReason { row["disabled_reason"] = reason }
            if let since = subscription.failingSince, subscription.status == .active {
                row["failing_since"] = ConsolePage.shortTime(since)
            }
            if let inbox = subscription.inboxId { row["inbox_id"] = inbox.rawValue }
            rows.append(row)
        }
        values["webhooks"] = rows
        values["disabled_count"] = rows.filter { $0["is_disabled"] as? Bool == true }.count
        if let secret { values["new_secret"] = ["id": secret.id, "secret": secret.secret] }
        if let error { values["form_error"] = error }
        values["event_choices"] = OutboundEventType.allCases.map { ["value": $0.rawValue] }
        return try resources.render("webhooks", values)
    }
}
