import Foundation
import KefuCore
import SQLKit
import Synchronization

/// Whether write transactions journal outbound events. On until the webhook dispatcher has
/// looked: it turns the journal off while no subscription is active (no write pays for events
/// nobody asked for) and on again within seconds of one being added.
public enum OutboundJournal {
    static let enabled = Atomic<Bool>(true)

    public static var isOn: Bool { enabled.load(ordering: .relaxed) }

    public static func set(_ on: Bool) { enabled.store(on, ordering: .relaxed) }
}

extension SQLStore {
    /// Journals an event inside the caller's write transaction, so it is kept exactly when what
    /// it describes is.
    static func journal(
        _ type: OutboundEventType, subject: String, inbox: InboxID?, detail: [String: String] = [:], at: Int64, on sql: any SQLDatabase
    ) async throws {
        guard OutboundJournal.isOn else { return }
        let encoded = String(decoding: try JSONEncoder.sorted.encode(detail), as: UTF8.self)
        try await sql.raw(
            """
            INSERT INTO outbound_events (event_type, subject_id, inbox_id, detail, created_at)
            VALUES (\(bind: type.rawValue), \(bind: subject), \(bind: inbox?.rawValue), \(bind: encoded), \(bind: at))
            """
        ).run()
    }

    /// A conversation's fields changed (`fields` names them: "status", "assignee"…).
    static func journalConversationUpdate(_ id: ConversationID, inbox: InboxID?, fields: [String], at: Int64, on sql: any SQLDatabase) async throws {
        guard !fields.isEmpty else { return }
        try await journal(.conversationUpdated, subject: id.rawValue, inbox: inbox, detail: ["changed": fields.sorted().joined(separator: ",")], at: at, on: sql)
    }
}
