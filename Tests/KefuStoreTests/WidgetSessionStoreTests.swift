import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

/// Who a chat session speaks for, once the visitor proves who they are.
@Suite struct WidgetSessionStoreTests {
    func session(_ store: SQLStore, inbox: InboxID, contact: ContactID) async throws -> WidgetSession {
        try await store.createWidgetSession(
            inboxId: inbox, contactId: contact, tokenHash: UUID().uuidString, claimedEmail: nil, claimedWalletUid: nil, locale: nil, topic: nil,
            userAgent: nil, clientAddress: nil, expiresAt: Date().addingTimeInterval(3600))
    }

    /// "3 codes per address per 15 minutes" holds under a parallel burst: counting and storing
    /// are one step per address (before, 50 parallel requests stored 22 codes).
    @Test(arguments: TestBackend.available)
    func aParallelBurstOfCodeRequestsStoresNoMoreThanTheLimit(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let since = Date().addingTimeInterval(-900)
            let made = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await store.createEmailCode(
                            purpose: "widget", email: "burst@example.cn", codeHash: "hash-\(index)", expiresAt: Date().addingTimeInterval(900),
                            limit: 3, since: since)
                    }
                }
                return try await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
            }
            #expect(made.count == 3)
            // Another address has its own three.
            #expect(
                try await store.createEmailCode(
                    purpose: "widget", email: "other@example.cn", codeHash: "h", expiresAt: Date().addingTimeInterval(900), limit: 3, since: since) != nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func anAnonymousVisitorJoinsTheCustomerAndTheirHistoryMoves(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let customer = try await store.createContact(name: "李伟", email: "li@example.cn", locale: "zh-CN")
            let visitor = try await store.createContact(name: nil, email: nil, locale: nil)
            let chat = try await store.createConversation(inboxId: inbox.id, contactId: visitor.id, subject: nil)
            let visit = try await session(store, inbox: inbox.id, contact: visitor.id)
            #expect(try await store.verifySessionEmail(sessionId: visit.id, email: "LI@example.cn") == customer.id)
            #expect(try await store.conversation(id: chat.id)?.contactId == customer.id)
            #expect(try await store.contact(id: visitor.id) == nil)
        }
    }

    /// A shared browser: the session belonged to a verified customer A when B verifies. A keeps
    /// their address and their history; only the session moves to B.
    @Test(arguments: TestBackend.available)
    func aVerifiedCustomersHistoryNeverPoursIntoAnothers(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let alice = try await store.createContact(name: "A", email: "a@example.cn", locale: nil)
            let bob = try await store.createContact(name: "B", email: "b@example.cn", locale: nil)
            let aliceChat = try await store.createConversation(inboxId: inbox.id, contactId: alice.id, subject: nil)
            let visit = try await session(store, inbox: inbox.id, contact: alice.id)

            #expect(try await store.verifySessionEmail(sessionId: visit.id, email: "b@example.cn") == bob.id)
            #expect(try await store.conversation(id: aliceChat.id)?.contactId == alice.id)
            #expect(try await store.contact(id: alice.id)?.email == "a@example.cn")

            // An address nobody has yet: a customer of its own, A untouched.
            let second = try await session(store, inbox: inbox.id, contact: alice.id)
            let carol = try await store.verifySessionEmail(sessionId: second.id, email: "c@example.cn")
            #expect(carol != alice.id)
            #expect(try await store.contact(id: carol)?.email == "c@example.cn")
            #expect(try await store.contact(id: alice.id)?.email == "a@example.cn")

            // The wallet page vouching for B behaves alike.
            let third = try await session(store, inbox: inbox.id, contact: alice.id)
            try await store.joinSession(sessionId: third.id, to: bob.id)
            #expect(try await store.conversation(id: aliceChat.id)?.contactId == alice.id)
            #expect(try await store.contact(id: alice.id) != nil)
        }
    }
}
