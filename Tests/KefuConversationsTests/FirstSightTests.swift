import Foundation
import KefuConversations
import KefuCore
import KefuRealtime
import KefuStore
import KefuTestSupport
import Synchronization
import Testing

/// A subscriber that follows every conversation (an agents' feed) sees a conversation first at
/// a later message than one written while it followed: the customer's mail stored by the CLI
/// (no notice), then an agent's reply published at once. The earlier one comes from the store,
/// before the later one; what was written before the subscriber followed stays history.
@Suite struct FirstSightTests {
    @Test(arguments: TestBackend.available)
    func theFirstEventOfAConversationBringsWhatWasWrittenWhileFollowing(_ backend: TestBackend) async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        try await withTestStore(backend, now: { clock.withLock { $0 } }) { store in
            let inbox = try await store.createInbox(name: "Mail", kind: .email, audit: nil)
            let contact = try await store.createContact(name: "Li Wei", email: nil, locale: "zh-CN")
            let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil)
            func append(_ text: String, _ direction: MessageDirection) async throws -> Message {
                try await store.appendMessage(
                    conversationId: conversation.id, NewMessage(direction: direction, author: direction == .incoming ? .contact(contact.id) : .system, text: text)
                ).message
            }
            _ = try await append("last week's question", .incoming)
            clock.withLock { $0 += 600 }
            let following = clock.withLock { $0 }
            clock.withLock { $0 += 1 }
            _ = try await append("我的提现被冻结了", .incoming)
            _ = try await append("note", .incoming)
            let reply = try await append("已为您核实", .outgoing)
            let event = ConversationEvent.message(reply, contactId: contact.id, inboxId: inbox.id)

            var cursor = ReplayCursor(followingFrom: following)
            var delivered: [Int64] = []
            try await StoredEventReplay.fill(&cursor, before: event, from: store) { delivered.append($0.seq ?? -1) }
            if cursor.admit(event) { delivered.append(reply.seq) }
            #expect(delivered == [2, 3, 4])

            // Followed from the start (a socket opened on this conversation): nothing to look back for.
            var known = ReplayCursor(since: [conversation.id: 3], followingFrom: following)
            var none: [Int64] = []
            try await StoredEventReplay.fill(&known, before: event, from: store) { none.append($0.seq ?? -1) }
            #expect(none.isEmpty)
            // Without `followingFrom` (the old behaviour) the first event simply starts the conversation.
            var plain = ReplayCursor()
            try await StoredEventReplay.fill(&plain, before: event, from: store) { none.append($0.seq ?? -1) }
            #expect(none.isEmpty)
        }
    }
}
