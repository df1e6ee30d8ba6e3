import Foundation
import KefuConversations
import KefuCore
import KefuSafety
import KefuStore
import Logging

/// Satisfaction surveys: sent after each resolution (once the delay has passed and only while
/// the conversation is still resolved) through the conversation's own channel, never to robots;
/// answered from the widget, the signed rating page or Telegram; sent again by hand or switched
/// off per inbox by supervisors; low ratings become follow-ups.
public struct SatisfactionSurveys: Sendable {
    let store: any SatisfactionRepository
    let conversations: ConversationService
    let delivery: any SurveyDelivery
    public let links: SurveyLinks
    /// How long after a resolution the survey goes (`KEFU_CSAT_DELAY_SECONDS`).
    public let delay: TimeInterval
    let logger: Logger

    public init(
        store: any SatisfactionRepository, conversations: ConversationService, delivery: any SurveyDelivery, links: SurveyLinks, delay: TimeInterval,
        logger: Logger
    ) {
        self.store = store
        self.conversations = conversations
        self.delivery = delivery
        self.links = links
        self.delay = delay
        self.logger = logger
    }

    // MARK: - Sending

    /// Sends (or skips) the surveys due now that this instance can lease; how many were handled.
    @discardableResult
    public func sendDue(owner: String, now: Date = Date(), limit: Int = 50) async throws -> Int {
        let due = try await store.claimDueSurveys(cutoff: now.addingTimeInterval(-delay), now: now, owner: owner, lease: 60, limit: limit)
        for survey in due {
            do {
                try await send(survey, owner: owner, now: now)
            } catch {
                // Left leased: another round takes it when the lease runs out.
                logger.error("survey could not be sent", metadata: ["survey": "\(survey.id)", "error": "\(DatabaseFailure.logged(error))"])
            }
        }
        return due.count
    }

    func send(_ survey: SatisfactionSurvey, owner: String, now: Date) async throws {
        guard let context = try await store.surveyContext(id: survey.id) else { return }
        let page = links.page(for: survey.id)
        if let reason = Self.skipReason(context) {
            _ = try await conversations.finishSurvey(survey.id, owner: owner, skipReason: reason, ratingURL: page, at: now)
            return
        }
        // Marked sent first, under the conversation's lock (a reopen meanwhile skips it), then
        // queued: a crash between the two loses this survey rather than sending one twice or
        // after a reopen.
        guard let sent = try await conversations.finishSurvey(survey.id, owner: owner, skipReason: nil, ratingURL: page, at: now), sent.status == .sent
        else { return }
        let invitation = SurveyInvitation(
            context: context, locale: UILocale(storedTag: survey.locale), pageURL: page, buttonKey: links.token(for: survey.id))
        try await delivery.deliverSurvey(invitation)
    }

    /// Why a survey must not go: the conversation moved on, nobody human would read it, or
    /// there is no way to reach them in the channel. Nil: send it.
    public static func skipReason(_ context: SurveyContext) -> String? {
        if context.conversation.status != .resolved || context.resolutions != context.survey.resolution { return "reopened" }
        // Switched off after it was scheduled: only one sent by hand still goes.
        if !context.inbox.csatEnabled && !context.survey.manual { return "inbox_off" }
        if context.customerSilent { return "customer_silent" }
        switch context.inbox.kind {
        case .email:
            if context.lastMailAutomatic { return "automatic_mail" }
        case .telegram:
            guard let key = context.threadKey, key.hasPrefix("chat:") else { return "no_chat" }
            if key.hasPrefix("chat:-") { return "group_chat" }
        case .webchat, .api:
            break
        }
        return nil
    }

    // MARK: - Answers

    /// An answer from the signed page (or a Telegram button): the token names the survey.
    public func answer(token: String, rating: Int, comment: String?, via: String, now: Date = Date()) async throws -> SurveyAnswered {
        guard let id = links.survey(for: token) else { throw ConversationError.notFound("survey") }
        return try await answer(id, rating: rating, comment: comment, via: via, now: now)
    }

    /// An answer from inside the conversation's channel (the widget): the survey must be one of
    /// this customer's.
    public func answer(_ id: SurveyID, from contact: ContactID, rating: Int, comment: String?, now: Date = Date()) async throws -> SurveyAnswered {
        guard let survey = try await store.survey(id: id), let conversation = try await conversations.store.conversation(id: survey.conversationId),
            conversation.contactId == contact
        else { throw ConversationError.notFound("survey") }
        return try await answer(id, rating: rating, comment: comment, via: "widget", now: now)
    }

    func answer(_ id: SurveyID, rating: Int, comment: String?, via: String, now: Date) async throws -> SurveyAnswered {
        let answer: SurveyAnswer
        do {
            // A comment is what a customer wrote too: a secret in it is not kept.
            answer = try SurveyAnswer.validated(rating: rating, comment: comment.map { SecretGuard.standard.redact($0).text })
        } catch {
            throw ConversationError.invalid(error)
        }
        return try await conversations.answerSurvey(id, answer: answer, via: via, at: now)
    }

    // MARK: - Supervisors

    /// Asks the customer now (a resolved conversation whose survey was not sent yet).
    public func sendByHand(_ conversation: ConversationID, by actor: ActionSource, now: Date = Date()) async throws -> SatisfactionSurvey {
        do {
            return try await store.requestSurvey(
                conversationId: conversation, sendAt: now.addingTimeInterval(-delay),
                audit: actor.audit("csat.sent_by_hand", subjectKind: "conversation", subjectId: conversation.rawValue))
        } catch StoreError.notFound(let what) {
            throw ConversationError.notFound(what)
        } catch StoreError.conflict(let what) {
            throw ConversationError.conflict(what)
        }
    }

    public func setEnabled(_ enabled: Bool, inbox: InboxID, by actor: ActionSource) async throws -> Inbox {
        do {
            return try await store.setSurveys(
                inboxId: inbox, enabled: enabled,
                audit: actor.audit("inbox.csat_changed", subjectKind: "inbox", subjectId: inbox.rawValue, detail: ["enabled": String(enabled)]))
        } catch StoreError.notFound(let what) {
            throw ConversationError.notFound(what)
        }
    }

    public func followUps(open: Bool = true, limit: Int = 100) async throws -> [SurveyFollowUp] {
        try await store.surveyFollowUps(open: open, limit: limit)
    }

    public func closeFollowUp(_ id: SurveyID, by agent: AgentID, now: Date = Date()) async throws {
        guard try await store.closeFollowUp(id: id, by: agent, at: now) else { throw ConversationError.notFound("follow_up") }
    }
}
