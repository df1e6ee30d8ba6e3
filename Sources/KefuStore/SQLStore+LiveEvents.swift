import Foundation
import KefuCore
import SQLKit

/// A stored message with the customer and inbox of its conversation: what live views route by.
public struct PlacedMessage: Sendable {
    public let message: Message
    public let contactId: ContactID
    public let inboxId: InboxID
}

/// What the event bus of several instances reads: messages another instance announced by their
/// place (conversation and seq), and the places of recent messages for its catch-up poll.
public protocol LiveMessageReading: Sendable {
    func messages(at places: [(ConversationID, Int64)]) async throws -> [PlacedMessage]
    /// (id, conversation, seq) of messages written at or after `since`, by id after `after`.
    func recentMessagePlaces(since: Date, after: String?, limit: Int) async throws -> [(id: String, conversationId: ConversationID, seq: Int64)]
}

extension SQLStore: LiveMessageReading {
    public func messages(at places: [(ConversationID, Int64)]) async throws -> [PlacedMessage] {
        guard !places.isEmpty else { return [] }
        return try await database.read { sql in
            var found: [PlacedMessage] = []
            // A few hundred places per statement keeps it under both databases' bind limits.
            for chunk in stride(from: 0, to: places.count, by: 300).map({ places[$0..<min($0 + 300, places.count)] }) {
                let conditions = SQLList(
                    chunk.map { SQLQueryString("(m.conversation_id = \(bind: $0.0.rawValue) AND m.seq = \(bind: $0.1))") },
                    separator: SQLRaw(" OR "))
                let columns = Self.messageColumns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                let rows = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: columns.joined(separator: ", ")), c.contact_id, c.inbox_id
                    FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE \(conditions)
                    """
                ).all()
                let attachments = try await Self.attachments(forMessages: try rows.map { try $0.string("id") }, on: sql)
                for row in rows {
                    found.append(
                        PlacedMessage(
                            message: try Self.message(from: row, attachments: attachments[try row.string("id")] ?? []),
                            contactId: ContactID(rawValue: try row.string("contact_id")), inboxId: InboxID(rawValue: try row.string("inbox_id"))))
                }
            }
            return found
        }
    }

    public func recentMessagePlaces(
        since: Date, after: String?, limit: Int
    ) async throws -> [(id: String, conversationId: ConversationID, seq: Int64)] {
        // Message ids are time-ordered (`TimeOrderedUUID`), so the primary key finds recent rows
        // without an index on the time; the upper bound keeps out random ids of old rows.
        let lower = max(after ?? "", TimeOrderedUUID.lowerBound(at: since))
        let upper = TimeOrderedUUID.lowerBound(at: Date().addingTimeInterval(3600))
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT id, conversation_id, seq FROM messages
                WHERE id > \(bind: lower) AND id < \(bind: upper) AND created_at >= \(bind: Clock.millis(since))
                ORDER BY id LIMIT \(literal: limit)
                """
            ).all().map { row in (try row.string("id"), ConversationID(rawValue: try row.string("conversation_id")), try row.int64("seq")) }
        }
    }
}
