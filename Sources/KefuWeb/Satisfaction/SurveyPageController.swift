import Foundation
import Hummingbird
import KefuConversations
import KefuCore
import KefuQuality
import KefuStore

/// `/csat/{token}`: the page a survey mail's rating links (and the API channel's `ratingUrl`,
/// and Telegram's thanks) open. A visit records nothing, so a mail scanner that fetches every
/// link changes nothing; the page's form (POST, no JavaScript needed) records the rating and
/// the comment, and may be sent again to amend them while the survey is open.
struct SurveyPageController {
    let surveys: SatisfactionSurveys
    let store: any SatisfactionRepository & ConversationRepository
    let resources: ConsoleResources

    func addRoutes(to router: Router<KefuRequestContext>, formGate: SameOriginFormGate) {
        router.get("/csat/{token}") { request, context in
            try await page(request, context, token: context.parameters.get("token") ?? "", saved: false)
        }
        router.group("csat").add(middleware: formGate).post("{token}") { request, context in
            let token = context.parameters.get("token") ?? ""
            let form = try await ConsoleForm.readPublic(request)
            guard let rating = form["rating"].flatMap(Int.init), SurveyAnswer.ratings.contains(rating) else {
                return try await page(request, context, token: token, saved: false, problem: "csat_choose_rating")
            }
            do {
                _ = try await surveys.answer(token: token, rating: rating, comment: form["comment"], via: "page")
            } catch ConversationError.invalid {
                return try await page(request, context, token: token, saved: false, problem: "csat_comment_too_long")
            } catch ConversationError.conflict {
                // Closed meanwhile (past its 30 days): the page says so.
                return try await page(request, context, token: token, saved: false)
            }
            return redirect("/csat/\(token)?saved=1")
        }
    }

    func page(_ request: Request, _ context: KefuRequestContext, token: String, saved: Bool, problem: String? = nil) async throws -> Response {
        guard let id = surveys.links.survey(for: token), let survey = try await store.survey(id: id),
            let conversation = try await store.conversation(id: survey.conversationId)
        else { throw APIError.notFound("survey") }
        let locale = UILocale(storedTag: survey.locale)
        let texts = resources.translations[locale] ?? [:]
        let query = QueryReader(request: request)
        let open = (survey.status == .sent || survey.status == .answered)
            && survey.sentAt.map { Date().timeIntervalSince($0) <= SatisfactionSurvey.answerWindow } == true
        let chosen = query.string("rating").flatMap(Int.init).flatMap { SurveyAnswer.ratings.contains($0) ? $0 : nil } ?? survey.answer?.rating
        var values: [String: Any] = [
            "t": texts, "lang": locale.rawValue, "token": token, "number": conversation.number, "open": open,
            "saved": saved || query.string("saved") == "1", "comment": survey.answer?.comment ?? "",
            "ratings": SurveyAnswer.ratings.reversed().map { rating -> [String: Any] in
                [
                    "value": rating, "stars": ConsolePage.stars(rating), "label": resources.text("csat_rating_\(rating)", locale),
                    "checked": rating == chosen,
                ]
            },
        ]
        if let answer = survey.answer { values["answered"] = ["rating": answer.rating, "stars": ConsolePage.stars(answer.rating)] }
        if let problem { values["problem"] = resources.text(problem, locale) }
        var response = try resources.render("survey", values)
        // Rating links carry the capability: never cached (and, as every page, never in a
        // Referer to another site: the security headers say same-origin).
        response.headers[.cacheControl] = "no-store"
        if problem != nil { response.status = .badRequest }
        return response
    }
}
