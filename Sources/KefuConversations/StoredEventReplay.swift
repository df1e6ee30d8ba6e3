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
        guard var after = cursor.missing(before: event), let target = event.seq else { return }
        while after < target - 1 {
            let page = try await store.messages(conversationId: event.conversationId, since: after, limit: pageSize)
            for message in page {
                let stored = ConversationEvent.message(message, contactId: event.contactId, inboxId: event.inboxId)
                if cursor.admit(stored) { try await deliver(stored) }
            }
            guard page.count == pageSize, let last = page.last else { return }
            after = last.seq
        }
    }

    /// Returns the cursor to pass live events through.
    public static func replay(
        _ conversation: Conversation, since: Int64, from store: any MessageRepository, deliver: (ConversationEvent) async throws -> Void
    ) async throws -> ReplayCursor {
        var cursor = ReplayCursor(since: [conversation.id: since])
        var after = since
        while true {
            let page = try await store.messages(conversationId: conversation.id, since: after, limit: pageSize)
            for message in page {
                let event = ConversationEvent.message(message, contactId: conversation.contactId, inboxId: conversation.inboxId)
                if cursor.admit(event) { try await deliver(event) }
            }
            guard page.count == pageSize, let last = page.last else { return cursor }
            after = last.seq
        }
    }
}
