import Foundation
import KefuCore
import SQLKit

/// Reports read conversations by creation time (indexed), with their targets' outcomes and
/// surveys, in a few set queries: figures are computed from these rows in Swift, so the JSON,
/// the charts and the CSV files always agree.
extension SQLStore: ReportRepository {
    public func reportConversations(from: Date, to: Date) async throws -> [ReportConversation] {
        let (start, end) = (Clock.millis(from), Clock.millis(to))
        return try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT c.id, c.number, i.kind, c.inbox_id, c.status, c.assignee_id, c.team_id, c.created_at, c.first_reply_at, c.resolved_at,
                    c.csat_rating, c.csat_comment,
                    (SELECT MAX(CASE WHEN e.kind = 'breached' THEN 2 WHEN e.kind = 'met' THEN 1 ELSE 0 END) FROM sla_events e
                        WHERE e.conversation_id = c.id AND e.kind IN ('met', 'breached')) AS sla
                FROM conversations c JOIN inboxes i ON i.id = c.inbox_id
                WHERE c.created_at >= \(bind: start) AND c.created_at < \(bind: end)
                ORDER BY c.created_at, c.number
                """
            ).all()
            var labels: [String: [String]] = [:]
            for row in try await sql.raw(
                """
                SELECT l.conversation_id, l.label FROM conversation_labels l JOIN conversations c ON c.id = l.conversation_id
                WHERE c.created_at >= \(bind: start) AND c.created_at < \(bind: end)
                """
            ).all() {
                labels[try row.string("conversation_id"), default: []].append(try row.string("label"))
            }
            return try rows.map { row in
                let id = try row.string("id")
                let sla = try row.decode(column: "sla", as: Int?.self) ?? 0
                return ReportConversation(
                    id: ConversationID(rawValue: id), number: try row.int64("number"), channel: try row.enumValue("kind", as: InboxKind.self),
                    inboxId: InboxID(rawValue: try row.string("inbox_id")), status: try row.enumValue("status", as: ConversationStatus.self),
                    assigneeId: try row.optionalString("assignee_id").map(AgentID.init(rawValue:)),
                    teamId: try row.optionalString("team_id").map(TeamID.init(rawValue:)), labels: (labels[id] ?? []).sorted(),
                    createdAt: try row.date("created_at"), firstReplyAt: try row.optionalDate("first_reply_at"),
                    resolvedAt: try row.optionalDate("resolved_at"), slaOutcome: sla == 2 ? "breached" : sla == 1 ? "met" : "none",
                    csat: try row.decode(column: "csat_rating", as: Int?.self).map { SurveyAnswer(rating: $0, comment: try? row.optionalString("csat_comment")) })
            }
        }
    }

    public func reportTargetOutcomes(from: Date, to: Date) async throws -> [ReportTargetOutcome] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT e.conversation_id, e.metric, e.kind, e.elapsed_seconds, e.target_seconds
                FROM sla_events e JOIN conversations c ON c.id = e.conversation_id
                WHERE c.created_at >= \(bind: Clock.millis(from)) AND c.created_at < \(bind: Clock.millis(to)) AND e.kind IN ('met', 'breached')
                ORDER BY e.id
                """
            ).all().compactMap { row in
                // A late reply is "met" after its "breached": the breach is the outcome.
                let kind = try row.string("kind")
                if kind == "met", try row.decode(column: "elapsed_seconds", as: Int.self) > row.decode(column: "target_seconds", as: Int.self) {
                    return nil
                }
                return ReportTargetOutcome(
                    conversationId: ConversationID(rawValue: try row.string("conversation_id")), metric: try row.enumValue("metric", as: SLAMetric.self),
                    outcome: kind)
            }
        }
    }

    public func reportSurveys(from: Date, to: Date) async throws -> [SatisfactionSurvey] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.surveyColumns) FROM csat_surveys
                WHERE resolved_at >= \(bind: Clock.millis(from)) AND resolved_at < \(bind: Clock.millis(to)) ORDER BY resolved_at, id
                """
            ).all().map(Self.survey(from:))
        }
    }

    public func reportDeflections(from: Date, to: Date) async throws -> [HelpDeflectionOutcome: Int] {
        try await database.read { sql in
            var counts: [HelpDeflectionOutcome: Int] = [:]
            for row in try await sql.raw(
                """
                SELECT outcome, COUNT(*) AS n FROM help_deflections
                WHERE created_at >= \(bind: Clock.millis(from)) AND created_at < \(bind: Clock.millis(to)) GROUP BY outcome
                """
            ).all() {
                if let outcome = HelpDeflectionOutcome(rawValue: try row.string("outcome")) { counts[outcome] = try row.decode(column: "n", as: Int.self) }
            }
            return counts
        }
    }

    public func reportSearchMisses(from: Date, to: Date, limit: Int) async throws -> [HelpSearchMiss] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT query, locale, searches, last_at FROM help_search_misses
                WHERE last_at >= \(bind: Clock.millis(from)) AND last_at < \(bind: Clock.millis(to))
                ORDER BY searches DESC, query LIMIT \(bind: limit)
                """
            ).all().map {
                HelpSearchMiss(
                    query: try $0.string("query"), locale: try $0.string("locale"), searches: try $0.decode(column: "searches", as: Int.self),
                    lastAt: try $0.date("last_at"))
            }
        }
    }

    public func countConversationsCreated(from: Date, to: Date) async throws -> Int {
        try await database.read { sql in
            try await sql.raw(
                "SELECT COUNT(*) AS n FROM conversations WHERE created_at >= \(bind: Clock.millis(from)) AND created_at < \(bind: Clock.millis(to))"
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
