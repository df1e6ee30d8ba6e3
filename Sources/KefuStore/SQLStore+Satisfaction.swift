import Foundation
import KefuCore
import SQLKit

/// Surveys are scheduled in the transaction that resolves the conversation (once per
/// resolution: `UNIQUE (conversation_id, resolution)`), leased to one sender when due, and
/// finished or answered in transactions that also write the history line and the webhook event.
extension SQLStore: SatisfactionRepository {
    static let surveyColumns = """
        id, conversation_id, resolution, inbox_id, channel, status, skip_reason, manual, locale, agent_id, team_id, resolved_at, sent_at,
        rating, comment, answered_at, answered_via, follow_up, created_at
        """

    static func survey(from row: any SQLRow) throws -> SatisfactionSurvey {
        let rating = try row.decode(column: "rating", as: Int?.self)
        return SatisfactionSurvey(
            id: SurveyID(rawValue: try row.string("id")), conversationId: ConversationID(rawValue: try row.string("conversation_id")),
            resolution: try row.decode(column: "resolution", as: Int.self), inboxId: InboxID(rawValue: try row.string("inbox_id")),
            channel: try row.enumValue("channel", as: InboxKind.self), status: try row.enumValue("status", as: SatisfactionSurvey.Status.self),
            skipReason: try row.optionalString("skip_reason"), manual: try row.bool("manual"), locale: try row.string("locale"),
            agentId: try row.optionalString("agent_id").map(AgentID.init(rawValue:)), teamId: try row.optionalString("team_id").map(TeamID.init(rawValue:)),
            resolvedAt: try row.date("resolved_at"), sentAt: try row.optionalDate("sent_at"),
            answer: rating.map { SurveyAnswer(rating: $0, comment: try? row.optionalString("comment")) }, answeredAt: try row.optionalDate("answered_at"),
            answeredVia: try row.optionalString("answered_via"),
            followUp: try row.optionalString("follow_up").flatMap(SatisfactionSurvey.FollowUp.init(rawValue:)), createdAt: try row.date("created_at"))
    }

    static func loadSurvey(_ id: String, on sql: any SQLDatabase) async throws -> SatisfactionSurvey? {
        try await sql.raw("SELECT \(unsafeRaw: surveyColumns) FROM csat_surveys WHERE id = \(bind: id)").first().map(survey(from:))
    }

    /// The survey of the resolution just made, inside the resolving transaction: scheduled, or
    /// skipped at once when the inbox does not ask.
    static func scheduleSurvey(_ conversation: String, at: Int64, on sql: any SQLDatabase, sendAt: Int64? = nil, manual: Bool = false) async throws {
        guard
            let row = try await sql.raw(
                """
                SELECT c.resolutions, c.inbox_id, c.assignee_id, c.team_id, i.kind, i.csat_enabled, ct.locale
                FROM conversations c JOIN inboxes i ON i.id = c.inbox_id JOIN contacts ct ON ct.id = c.contact_id
                WHERE c.id = \(bind: conversation)
                """
            ).first()
        else { return }
        let enabled = try manual || row.bool("csat_enabled")
        try await sql.raw(
            """
            INSERT INTO csat_surveys (id, conversation_id, resolution, inbox_id, channel, status, skip_reason, manual, locale, agent_id, team_id,
                resolved_at, send_at, created_at)
            VALUES (\(bind: SurveyID.generate().rawValue), \(bind: conversation), \(bind: try row.decode(column: "resolutions", as: Int.self)),
                \(bind: try row.string("inbox_id")), \(bind: try row.string("kind")), \(bind: enabled ? "scheduled" : "skipped"),
                \(bind: enabled ? nil : "inbox_off"), \(bind: manual), \(bind: try row.optionalString("locale") ?? "en"),
                \(bind: try row.optionalString("assignee_id")), \(bind: try row.optionalString("team_id")), \(bind: at), \(bind: sendAt ?? at), \(bind: at))
            ON CONFLICT (conversation_id, resolution) DO NOTHING
            """
        ).run()
    }

    public func survey(id: SurveyID) async throws -> SatisfactionSurvey? {
        try await database.read { sql in try await Self.loadSurvey(id.rawValue, on: sql) }
    }

    public func surveys(conversationId: ConversationID) async throws -> [SatisfactionSurvey] {
        try await database.read { sql in
            try await sql.raw(
                "SELECT \(unsafeRaw: Self.surveyColumns) FROM csat_surveys WHERE conversation_id = \(bind: conversationId.rawValue) ORDER BY resolution"
            ).all().map(Self.survey(from:))
        }
    }

    public func claimDueSurveys(cutoff: Date, now: Date, owner: String, lease: TimeInterval, limit: Int) async throws -> [SatisfactionSurvey] {
        let due = Clock.millis(cutoff)
        let at = Clock.millis(now)
        // Most ticks find nothing: a read says so without taking the writer.
        let anything = try await database.read { sql in
            try await sql.raw("SELECT id FROM csat_surveys WHERE status = 'scheduled' AND send_at <= \(bind: due) LIMIT 1").first() != nil
        }
        guard anything else { return [] }
        let lock: SQLQueryString = flavor == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await database.write { sql in
            let ids = try await sql.raw(
                """
                SELECT id FROM csat_surveys WHERE status = 'scheduled' AND send_at <= \(bind: due)
                    AND (lease_until IS NULL OR lease_until < \(bind: at))
                ORDER BY send_at LIMIT \(bind: limit)\(lock)
                """
            ).all().map { try $0.string("id") }
            guard !ids.isEmpty else { return [] }
            try await sql.raw(
                """
                UPDATE csat_surveys SET lease_owner = \(bind: owner), lease_until = \(bind: Clock.millis(now.addingTimeInterval(lease)))
                WHERE id IN (\(binds: ids))
                """
            ).run()
            return try await sql.raw("SELECT \(unsafeRaw: Self.surveyColumns) FROM csat_surveys WHERE id IN (\(binds: ids)) ORDER BY send_at")
                .all().map(Self.survey(from:))
        }
    }

    public func surveyContext(id: SurveyID) async throws -> SurveyContext? {
        try await database.read { sql in
            guard let survey = try await Self.loadSurvey(id.rawValue, on: sql),
                let conversation = try await Self.loadConversation(id: survey.conversationId.rawValue, on: sql),
                let inboxRow = try await sql.raw("SELECT \(unsafeRaw: Self.inboxColumns) FROM inboxes WHERE id = \(bind: survey.inboxId.rawValue)").first()
            else { return nil }
            let contact = try await sql.raw("SELECT id, name, email, locale, created_at FROM contacts WHERE id = \(bind: conversation.contactId.rawValue)")
                .first().map(Self.contact(from:))
            let lastMail = try await sql.raw(
                """
                SELECT automatic FROM mails WHERE conversation_id = \(bind: survey.conversationId.rawValue)
                ORDER BY created_at DESC LIMIT 1
                """
            ).first()
            let wrote = try await sql.raw(
                "SELECT id FROM messages WHERE conversation_id = \(bind: survey.conversationId.rawValue) AND direction = 'incoming' LIMIT 1"
            ).first() != nil
            let thread = try await sql.raw(
                "SELECT thread_key FROM channel_threads WHERE conversation_id = \(bind: survey.conversationId.rawValue) ORDER BY created_at DESC LIMIT 1"
            ).first()
            var context = SurveyContext(
                survey: survey, conversation: conversation, inbox: try Self.inbox(from: inboxRow), contact: contact,
                lastMailAutomatic: try lastMail?.optionalString("automatic") != nil, customerSilent: !wrote,
                threadKey: try thread?.optionalString("thread_key"))
            context.resolutions =
                try await sql.raw("SELECT resolutions FROM conversations WHERE id = \(bind: survey.conversationId.rawValue)").first()?
                .decode(column: "resolutions", as: Int.self) ?? 0
            return context
        }
    }

    public func finishSurvey(id: SurveyID, owner: String, skipReason: String?, ratingURL: String, at date: Date) async throws -> (SatisfactionSurvey, Message?)? {
        let at = Clock.millis(date)
        return try await database.write { sql in
            guard let pending = try await Self.loadSurvey(id.rawValue, on: sql) else { return nil }
            // Under the conversation's row lock: reopened (or resolved again) since it was read,
            // the survey does not go.
            var skipReason = skipReason
            if skipReason == nil, let conversation = try await Self.lockConversation(pending.conversationId.rawValue, on: sql),
                conversation.status != .resolved || conversation.resolutions != pending.resolution
            {
                skipReason = "reopened"
            }
            guard
                let row = try await sql.raw(
                    """
                    UPDATE csat_surveys SET status = \(bind: skipReason == nil ? "sent" : "skipped"), skip_reason = \(bind: skipReason),
                        sent_at = \(bind: skipReason == nil ? at : nil), lease_owner = NULL, lease_until = NULL
                    WHERE id = \(bind: id.rawValue) AND status = 'scheduled' AND lease_owner = \(bind: owner)
                    RETURNING conversation_id, inbox_id
                    """
                ).first()
            else { return nil }
            var history: Message?
            if skipReason == nil {
                let conversation = ConversationID(rawValue: try row.string("conversation_id"))
                history = try await Self.insertMessage(.system(.surveyRequested(id)), into: conversation, at: at, on: sql).message
                try await Self.journal(
                    .csatRequested, subject: id.rawValue, inbox: InboxID(rawValue: try row.string("inbox_id")), detail: ["ratingUrl": ratingURL],
                    at: at, on: sql)
            }
            guard let survey = try await Self.loadSurvey(id.rawValue, on: sql) else { return nil }
            return (survey, history)
        }
    }
}
