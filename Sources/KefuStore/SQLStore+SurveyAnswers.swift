import Foundation
import KefuCore
import SQLKit

/// Answers (from the widget, the rating page, Telegram), surveys sent by hand, the inbox switch
/// and the follow-ups of low ratings.
extension SQLStore {
    public func answerSurvey(id: SurveyID, answer: SurveyAnswer, via: String, at date: Date) async throws -> SurveyAnswered {
        let at = Clock.millis(date)
        return try await database.write { sql in
            // The conversation's row lock first, as every writer of the conversation takes it.
            guard let before = try await Self.loadSurvey(id.rawValue, on: sql), try await Self.lockConversation(before.conversationId.rawValue, on: sql) != nil,
                let survey = try await Self.loadSurvey(id.rawValue, on: sql)
            else { throw StoreError.notFound("survey") }
            guard survey.status == .sent || survey.status == .answered, let sent = survey.sentAt,
                date.timeIntervalSince(sent) <= SatisfactionSurvey.answerWindow
            else { throw StoreError.conflict("survey") }
            let first = survey.status == .sent
            let opensFollowUp = answer.isLow && survey.followUp == nil
            try await sql.raw(
                """
                UPDATE csat_surveys SET status = 'answered', rating = \(bind: answer.rating), comment = \(bind: answer.comment),
                    answered_at = \(bind: at), answered_via = \(bind: via)
                    \(unsafeRaw: opensFollowUp ? ", follow_up = 'open'" : "")
                WHERE id = \(bind: id.rawValue)
                """
            ).run()
            // The conversation shows its latest resolution's answer.
            try await sql.raw(
                """
                UPDATE conversations SET csat_rating = \(bind: answer.rating), csat_comment = \(bind: answer.comment)
                WHERE id = \(bind: survey.conversationId.rawValue)
                    AND NOT EXISTS (SELECT 1 FROM csat_surveys s WHERE s.conversation_id = conversations.id AND s.status = 'answered'
                        AND s.resolution > \(bind: survey.resolution))
                """
            ).run()
            var history: Message?
            if first {
                history = try await Self.insertMessage(.system(.surveyAnswered(rating: answer.rating)), into: survey.conversationId, at: at, on: sql).message
            }
            try await Self.journal(.csatAnswered, subject: id.rawValue, inbox: survey.inboxId, at: at, on: sql)
            if opensFollowUp { try await Self.notifyLowRating(survey, rating: answer.rating, at: at, on: sql) }
            guard let answered = try await Self.loadSurvey(id.rawValue, on: sql),
                let conversation = try await Self.loadConversation(id: survey.conversationId.rawValue, on: sql)
            else { throw StoreError.notFound("survey") }
            return SurveyAnswered(survey: answered, conversation: conversation, history: history)
        }
    }

    /// Supervisors and admins hear of a low rating in the console.
    static func notifyLowRating(_ survey: SatisfactionSurvey, rating: Int, at: Int64, on sql: any SQLDatabase) async throws {
        let number = try await sql.raw("SELECT number FROM conversations WHERE id = \(bind: survey.conversationId.rawValue)").first()?.int64("number") ?? 0
        let detail = String(decoding: try JSONEncoder.sorted.encode(["number": String(number), "rating": String(rating)]), as: UTF8.self)
        for (agent, _) in try await supervisors(on: sql) {
            try await insertNotification(.csatLow, for: agent, conversation: survey.conversationId, detail: detail, mail: false, at: at, on: sql)
        }
    }

    public func requestSurvey(conversationId: ConversationID, sendAt: Date, audit: AuditEvent) async throws -> SatisfactionSurvey {
        let at = Clock.millis(now())
        let due = Clock.millis(sendAt)
        return try await database.write { sql in
            guard let conversation = try await Self.lockConversation(conversationId.rawValue, on: sql) else { throw StoreError.notFound("conversation") }
            guard conversation.status == .resolved else { throw StoreError.conflict("conversation") }
            let resolution = conversation.resolutions
            if let existing = try await sql.raw(
                "SELECT id, status, skip_reason FROM csat_surveys WHERE conversation_id = \(bind: conversationId.rawValue) AND resolution = \(bind: resolution)"
            ).first() {
                // Never twice for one resolution, and never to whom it was not to go (a robot, a
                // silent customer): only one waiting, or switched off for the inbox.
                let status = try existing.string("status")
                let reason = try existing.optionalString("skip_reason")
                guard status == "scheduled" || (status == "skipped" && reason == "inbox_off") else { throw StoreError.conflict("survey") }
                try await sql.raw(
                    """
                    UPDATE csat_surveys SET status = 'scheduled', skip_reason = NULL, manual = \(bind: true), send_at = \(bind: due),
                        lease_owner = NULL, lease_until = NULL
                    WHERE id = \(bind: try existing.string("id"))
                    """
                ).run()
            } else {
                try await Self.scheduleSurvey(conversationId.rawValue, at: at, on: sql, sendAt: due, manual: true)
            }
            try await insertAudit(audit, on: sql)
            guard
                let survey = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: Self.surveyColumns) FROM csat_surveys
                    WHERE conversation_id = \(bind: conversationId.rawValue) AND resolution = \(bind: resolution)
                    """
                ).first().map(Self.survey(from:))
            else { throw StoreError.notFound("survey") }
            return survey
        }
    }

    public func setSurveys(inboxId: InboxID, enabled: Bool, audit: AuditEvent) async throws -> Inbox {
        try await database.write { sql in
            try await sql.raw("UPDATE inboxes SET csat_enabled = \(bind: enabled) WHERE id = \(bind: inboxId.rawValue)").run()
            guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.inboxColumns) FROM inboxes WHERE id = \(bind: inboxId.rawValue)").first()
            else { throw StoreError.notFound("inbox") }
            try await insertAudit(audit, on: sql)
            return try Self.inbox(from: row)
        }
    }

    public func surveyFollowUps(open: Bool, limit: Int) async throws -> [SurveyFollowUp] {
        try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.surveyColumns.split(separator: ",").map { "s.\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }.joined(separator: ", ")),
                    c.number, ct.name AS contact_name
                FROM csat_surveys s JOIN conversations c ON c.id = s.conversation_id JOIN contacts ct ON ct.id = c.contact_id
                WHERE s.follow_up = \(bind: open ? "open" : "done") ORDER BY s.answered_at DESC LIMIT \(bind: limit)
                """
            ).all()
            return try rows.map {
                SurveyFollowUp(survey: try Self.survey(from: $0), conversationNumber: try $0.int64("number"), contactName: try $0.optionalString("contact_name"))
            }
        }
    }

    public func closeFollowUp(id: SurveyID, by agent: AgentID, at date: Date) async throws -> Bool {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE csat_surveys SET follow_up = 'done', follow_up_by = \(bind: agent.rawValue), follow_up_at = \(bind: Clock.millis(date))
                WHERE id = \(bind: id.rawValue) AND follow_up = 'open' RETURNING id
                """
            ).first() != nil
        }
    }
}
