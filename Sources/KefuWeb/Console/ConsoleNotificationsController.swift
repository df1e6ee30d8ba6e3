import Foundation
import Hummingbird
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore

/// `/console/notifications`: what the response targets told this agent (warnings before a
/// target is missed, and misses), newest first; opening the page marks them read.
struct ConsoleNotificationsController {
    let store: any ServiceLevelRepository
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("notifications") { request, context in
            let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
            var values = page.base(title: page.t("notifications"), request: request, context: context, nav: "notifications")
            let now = Date()
            let items = try await store.agentNotifications(agentId: context.agent.id, limit: 100)
            values["notifications"] = items.map { item -> [String: Any] in
                let metric = item.detail["metric"] ?? SLAMetric.firstResponse.rawValue
                let target = Int(item.detail["target"] ?? "") ?? 0
                let key: String
                switch item.kind {
                case .slaWarning: key = "notification_sla_warning"
                case .slaBreach: key = "notification_sla_breach"
                case .csatLow: key = "notification_csat_low"
                }
                let text = page.t(key)
                    .replacingOccurrences(of: "{number}", with: item.detail["number"] ?? "")
                    .replacingOccurrences(of: "{rating}", with: item.detail["rating"] ?? "")
                    .replacingOccurrences(of: "{metric}", with: page.t("sla_metric_\(metric)"))
                    .replacingOccurrences(of: "{target}", with: ResponseTimeWords.duration(target, locale: page.locale))
                return [
                    "text": text, "kind": item.kind.rawValue, "unread": item.readAt == nil, "href": item.conversationId.map { "/console/conversations/\($0)" } ?? "",
                    "at_iso": ConsolePage.isoTime(item.createdAt), "at_text": ConsolePage.shortTime(item.createdAt),
                ]
            }
            if context.agent.role >= .supervisor {
                values["mail_choice"] = ["enabled": try await store.notificationMail(agentId: context.agent.id)]
            }
            try await store.markNotificationsRead(agentId: context.agent.id, upTo: now)
            return try resources.render("notifications", values)
        }
        // Supervisors and admins get each notification by mail too, unless they turn it off.
        group.post("notifications/mail") { request, context in
            try context.require(.supervisor)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            try await store.setNotificationMail(agentId: context.agent.id, form["enabled"] == "1")
            return redirect("/console/notifications?flash=saved")
        }
    }
}
