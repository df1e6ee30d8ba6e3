import Foundation
import KefuCore
import SQLKit

extension SQLStore {
    /// Journals an event inside the caller's write transaction, so it is kept exactly when what
    /// it describes is, and only while some active subscription asks for its type (decided in
    /// the same statement: no write pays for events nobody wants, and a subscription made a
    /// moment ago is seen by every instance at once).
    static func journal(
        _ type: OutboundEventType, subject: String, inbox: InboxID?, detail: [String: String] = [:], at: Int64, on sql: any SQLDatabase
    ) async throws {
        // Most events have no detail (every message but a note): no encoder for "{}".
        let encoded = detail.isEmpty ? "{}" : String(decoding: try JSONEncoder.sorted.encode(detail), as: UTF8.self)
        let wanted = "%\"\(type.rawValue)\"%"
        try await sql.raw(
            """
            INSERT INTO outbound_events (event_type, subject_id, inbox_id, detail, created_at)
            SELECT \(bind: type.rawValue), \(bind: subject), \(bind: inbox?.rawValue), \(bind: encoded), \(bind: at)
            WHERE EXISTS (SELECT 1 FROM webhook_subscriptions WHERE status = 'active' AND events LIKE \(bind: wanted))
            """
        ).run()
    }

    /// A conversation's fields changed (`fields` names them: "status", "assignee"…).
    static func journalConversationUpdate(_ id: ConversationID, inbox: InboxID?, fields: [String], at: Int64, on sql: any SQLDatabase) async throws {
        guard !fields.isEmpty else { return }
        try await journal(.conversationUpdated, subject: id.rawValue, inbox: inbox, detail: ["changed": fields.sorted().joined(separator: ",")], at: at, on: sql)
    }
}
