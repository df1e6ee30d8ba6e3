import Foundation
import Hummingbird
import KefuConversations
import KefuCore
import KefuQuality
import KefuStore

/// `/api/v1/…/csat…`: a conversation's surveys, sending one by hand (supervisors), and the
/// follow-ups low ratings open.
struct SurveyController {
    let surveys: SatisfactionSurveys
    let store: any SatisfactionRepository & ConversationRepository

    struct SurveyView: Encodable, Sendable {
        let id: SurveyID
        let conversationId: ConversationID
        let resolution: Int
        let channel: InboxKind
        let status: SatisfactionSurvey.Status
        let skipReason: String?
        let manual: Bool
        let locale: String
        let agentId: AgentID?
        let teamId: TeamID?
        let resolvedAt: Date
        let sentAt: Date?
        let rating: Int?
        let comment: String?
        let answeredAt: Date?
        let answeredVia: String?
        let followUp: SatisfactionSurvey.FollowUp?

        init(_ survey: SatisfactionSurvey) {
            id = survey.id
            conversationId = survey.conversationId
            resolution = survey.resolution
            channel = survey.channel
            status = survey.status
            skipReason = survey.skipReason
            manual = survey.manual
            locale = survey.locale
            agentId = survey.agentId
            teamId = survey.teamId
            resolvedAt = survey.resolvedAt
            sentAt = survey.sentAt
            rating = survey.answer?.rating
            comment = survey.answer?.comment
            answeredAt = survey.answeredAt
            answeredVia = survey.answeredVia
            followUp = survey.followUp
        }
    }

    struct FollowUpView: Encodable, Sendable {
        let survey: SurveyView
        let conversationNumber: Int64
        let contactName: String?
    }

    struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
        let items: [Item]
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("conversations/{id}/csat-surveys") { _, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            guard try await store.conversation(id: id) != nil else { throw APIError.notFound("conversation") }
            return JSONResponse(ListResponse(items: try await store.surveys(conversationId: id).map(SurveyView.init)))
        }
        group.post("conversations/{id}/csat-survey", role: .supervisor) { _, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            return JSONResponse(SurveyView(try await surveys.sendByHand(id, by: context.source)), status: .accepted)
        }
        group.get("csat/follow-ups", role: .supervisor) { request, _ in
            let status = QueryReader(request: request).string("status") ?? "open"
            guard ["open", "done"].contains(status) else { throw APIError.validation("status", .notOneOf(["open", "done"])) }
            let items = try await surveys.followUps(open: status == "open").map {
                FollowUpView(survey: SurveyView($0.survey), conversationNumber: $0.conversationNumber, contactName: $0.contactName)
            }
            return JSONResponse(ListResponse(items: items))
        }
        group.post("csat/follow-ups/{id}/done", role: .supervisor) { _, context in
            try await surveys.closeFollowUp(try context.parameters.id("id", as: SurveyID.self, thing: "follow_up"), by: context.agent.id)
            return Response(status: .noContent)
        }
    }
}
