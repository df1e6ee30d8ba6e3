import Foundation
import KefuCore
import KefuRealtime
import KefuStore

/// Replays a conversation's stored messages after `since`, in pages, through a `ReplayCursor`
/// that then de-duplicates the live events. Shared by the visitors' and the agents' sockets:
/// the order (subscribe, replay, then live) is the whole no-loss guarantee, so it lives once.
public enum StoredEventReplay {
    public static let pageSize = 200

    /// Delivers the stored messages a live `event` skipped over (see `ReplayCursor.missing`), in
    /// order, through `cursor`; nothing when there is no gap.
    public static func fill(
        _ cursor: inout ReplayCursor, before event: ConversationEvent, from store: any MessageRepository,
        deliver: (ConversationEvent) async throws -> Void
    ) async throws {
        guard let target = event.seq else { return }
        if let after = cursor.missing(before: event) {
            try await deliverStored(
                event.conversationId, contactId: event.contactId, inboxId: event.inboxId, after: after, before: target,
                through: &cursor, from: store, deliver: deliver)
        } else if let look = cursor.firstSight(before: event) {
            // Only what was written while the subscriber followed: older messages are history.
            try await deliverStored(
                event.conversationId, contactId: event.contactId, inboxId: event.inboxId, after: look.after, before: target,
                writtenSince: look.writtenSince, through: &cursor, from: store, deliver: deliver)
        }
    }

    /// Returns the cursor to pass live events through.
    public static func replay(
        _ conversation: Conversation, since: Int64, from store: any MessageRepository, deliver: (ConversationEvent) async throws -> Void
    ) async throws -> ReplayCursor {
        var cursor = ReplayCursor(since: [conversation.id: since])
        try await deliverStored(
            conversation.id, contactId: conversation.contactId, inboxId: conversation.inboxId, after: since, before: nil,
            through: &cursor, from: store, deliver: deliver)
        return cursor
    }

    /// The stored messages after `after` (up to `before`, or all), page by page through `cursor`.
    private static func deliverStored(
        _ conversation: ConversationID, contactId: ContactID, inboxId: InboxID, after: Int64, before: Int64?, writtenSince: Date? = nil,
        through cursor: inout ReplayCursor, from store: any MessageRepository, deliver: (ConversationEvent) async throws -> Void
    ) async throws {
        var after = after
        while before.map({ after < $0 - 1 }) ?? true {
            let page = try await store.messages(conversationId: conversation, since: after, limit: pageSize)
            for message in page {
                if let before, message.seq >= before { return }
                if let writtenSince, message.createdAt < writtenSince { continue }
                let event = ConversationEvent.message(message, contactId: contactId, inboxId: inboxId)
                if cursor.admit(event) { try await deliver(event) }
            }
            guard page.count == pageSize, let last = page.last else { return }
            after = last.seq
        }
    }
}
