import Foundation
import KefuCore
import KefuStore

/// Carries a satisfaction survey to the customer in the conversation's own channel (a mail with
/// the five ratings as links, Telegram buttons). The widget and the API channel need nothing
/// here: the survey's history line and webhook event are written when it is marked sent.
public protocol SurveyDelivery: Sendable {
    func deliverSurvey(_ invitation: SurveyInvitation) async throws
}

/// A survey about to be sent, with the signed page where it is answered.
public struct SurveyInvitation: Sendable {
    public var context: SurveyContext
    public var locale: UILocale
    /// The rating page; `?rating=N` chooses a rating (a visit records nothing).
    public var pageURL: String
    /// The key Telegram buttons carry for this survey (signed).
    public var buttonKey: String

    public init(context: SurveyContext, locale: UILocale, pageURL: String, buttonKey: String) {
        self.context = context
        self.locale = locale
        self.pageURL = pageURL
        self.buttonKey = buttonKey
    }
}

/// Answers that arrive through a channel with a survey's signed key (a Telegram button).
public protocol SurveyAnswers: Sendable {
    /// The survey a key names, or nil when the key is not one of Kefu's.
    func survey(forKey key: String) async throws -> SatisfactionSurvey?
    /// Records the rating; returns the page where the customer can add a comment.
    func answer(key: String, rating: Int, via: String) async throws -> String
}

extension ConversationService {
    /// Marks a leased survey sent (its history line published, so the widget shows it) or skipped.
    public func finishSurvey(_ id: SurveyID, owner: String, skipReason: String?, ratingURL: String, at: Date) async throws -> SatisfactionSurvey? {
        guard let (survey, history) = try await store.finishSurvey(id: id, owner: owner, skipReason: skipReason, ratingURL: ratingURL, at: at)
        else { return nil }
        if let history, let conversation = try await store.conversation(id: survey.conversationId) { publishStored(history, of: conversation) }
        return survey
    }

    /// Records the customer's answer and publishes its history line (the first time).
    public func answerSurvey(_ id: SurveyID, answer: SurveyAnswer, via: String, at: Date) async throws -> SurveyAnswered {
        let answered: SurveyAnswered
        do {
            answered = try await store.answerSurvey(id: id, answer: answer, via: via, at: at)
        } catch StoreError.notFound {
            throw ConversationError.notFound("survey")
        } catch StoreError.conflict {
            // Not sent yet, skipped, or past its answer window.
            throw ConversationError.conflict("survey")
        }
        if let history = answered.history { publishStored(history, of: answered.conversation) }
        return answered
    }
}
