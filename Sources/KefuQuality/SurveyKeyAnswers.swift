import Foundation
import KefuConversations
import KefuCore
import KefuStore

/// Answers that arrive with a survey's signed key, for channels (Telegram buttons). Needs no
/// delivery, so the channels can be built with it before the survey sender that uses them.
public struct SurveyKeyAnswers: SurveyAnswers {
    let store: any SatisfactionRepository
    let conversations: ConversationService
    let links: SurveyLinks

    public init(store: any SatisfactionRepository, conversations: ConversationService, links: SurveyLinks) {
        self.store = store
        self.conversations = conversations
        self.links = links
    }

    public func survey(forKey key: String) async throws -> SatisfactionSurvey? {
        guard let id = links.survey(for: key) else { return nil }
        return try await store.survey(id: id)
    }

    public func answer(key: String, rating: Int, via: String) async throws -> String {
        guard let id = links.survey(for: key) else { throw ConversationError.notFound("survey") }
        let answer: SurveyAnswer
        do {
            answer = try SurveyAnswer.validated(rating: rating, comment: nil)
        } catch {
            throw ConversationError.invalid(error)
        }
        // A button carries a rating only: a comment written on the page earlier stays.
        var kept = answer
        if let existing = try await store.survey(id: id)?.answer { kept.comment = existing.comment }
        _ = try await conversations.answerSurvey(id, answer: kept, via: via, at: Date())
        return links.page(for: id)
    }
}
