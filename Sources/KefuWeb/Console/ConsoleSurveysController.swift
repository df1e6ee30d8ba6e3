import Foundation
import Hummingbird
import KefuConversations
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore

/// Satisfaction surveys in the console: the panel beside a conversation, sending the survey by
/// hand, and `/console/follow-ups`, the low ratings a supervisor looks into.
struct ConsoleSurveysController {
    let surveys: SatisfactionSurveys
    let store: any ConversationRepository & AgentRepository
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("conversations/{id}/csat") { request, context in
            try context.require(.supervisor)
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            do {
                _ = try await surveys.sendByHand(id, by: context.source)
            } catch ConversationError.conflict {
                return redirect("/console/conversations/\(id)?error=csat_cannot_send")
            }
            return redirect("/console/conversations/\(id)?flash=csat_sent_by_hand")
        }
        group.get("follow-ups") { request, context in
            try context.require(.supervisor)
            return try await followUpsPage(request, context)
        }
        group.post("follow-ups/{id}/done") { request, context in
            try context.require(.supervisor)
            let id = try context.parameters.id("id", as: SurveyID.self, thing: "follow_up")
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            try await surveys.closeFollowUp(id, by: context.agent.id)
            return redirect("/console/follow-ups?flash=saved")
        }
    }

    func followUpsPage(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("csat_follow_ups"), request: request, context: context, nav: "follow_ups")
        let names = Dictionary(uniqueKeysWithValues: try await store.listAgents().map { ($0.id, $0.name) })
        values["follow_ups"] = try await surveys.followUps().map { item -> [String: Any] in
            let survey = item.survey
            return [
                "id": survey.id.rawValue, "conversation_id": survey.conversationId.rawValue, "number": item.conversationNumber,
                "contact": item.contactName ?? page.t("unknown_customer"), "stars": ConsolePage.stars(survey.answer?.rating ?? 0),
                "rating": survey.answer?.rating ?? 0, "comment": survey.answer?.comment ?? "",
                "agent": survey.agentId.flatMap { names[$0] } ?? page.t("nobody"), "channel": page.t("inbox_kind_\(survey.channel.rawValue)"),
                "at_iso": survey.answeredAt.map(ConsolePage.isoTime) ?? "", "at_text": survey.answeredAt.map(ConsolePage.shortTime) ?? "",
            ]
        }
        return try resources.render("follow-ups", values)
    }
}

extension ConsolePage {
    /// The latest survey of a conversation for its side panel, and whether a supervisor may send
    /// it by hand now.
    func surveyPanel(_ surveys: [SatisfactionSurvey], conversation: Conversation, canSend: Bool) -> [String: Any] {
        var panel: [String: Any] = [:]
        if let latest = surveys.last {
            var state = t("csat_status_\(latest.status.rawValue)")
            if let reason = latest.skipReason { state += " (\(t("csat_skip_\(reason)")))" }
            panel["state"] = state
            if let answer = latest.answer {
                panel["stars"] = ConsolePage.stars(answer.rating)
                panel["rating"] = answer.rating
                if let comment = answer.comment { panel["comment"] = comment }
            }
        } else {
            panel["state"] = t("csat_status_none")
        }
        let current = surveys.last { $0.status == .sent || $0.status == .answered }
        panel["can_send"] = canSend && conversation.status == .resolved && (current == nil || (surveys.last?.status == .skipped))
        return panel
    }
}
