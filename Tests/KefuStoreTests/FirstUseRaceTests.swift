import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

/// Rows made on first use, asked for by several instances at the same moment: each must end
/// with the one row, never an error. The CI once saw the third instance of a cluster exit at
/// start because it adopted a "spare" inbox that a second instance had just created for the
/// support address a first instance had taken meanwhile.
@Suite struct FirstUseRaceTests {
    @Test(arguments: TestBackend.available)
    func instancesStartingTogetherAgreeOnOneInbox(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let chat = try await store.createInbox(name: "Website", kind: .webchat, audit: nil)
            // Rounds, since a race shows itself only some of the time.
            for round in 0..<5 {
                let ids = try await withThrowingTaskGroup(of: InboxID.self) { group in
                    for _ in 0..<8 { group.addTask { try await store.supportInbox(emailAddress: "Support\(round)@Kefu.example").id } }
                    return try await group.reduce(into: Set<InboxID>()) { $0.insert($1) }
                }
                #expect(ids.count == 1)
                let inbox = try #require(try await store.inbox(emailAddress: "support\(round)@kefu.example"))
                #expect(ids == [inbox.id])
                #expect(inbox.name == "Support\(round)@Kefu.example" && inbox.kind == .email)
            }
            let inboxes = try await store.listInboxes()
            #expect(inboxes.filter { $0.kind == .email }.count == 5)
            #expect(inboxes.contains { $0.id == chat.id && $0.emailAddress == nil })
        }
    }

    @Test(arguments: TestBackend.available)
    func theOldestEmailInboxWithoutAnAddressTakesIt(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let spare = try await store.createInbox(name: "Mail", kind: .email, audit: nil)
            try await Task.sleep(for: .milliseconds(5))
            _ = try await store.createInbox(name: "Later mail", kind: .email, audit: nil)
            let ids = try await withThrowingTaskGroup(of: InboxID.self) { group in
                for _ in 0..<4 { group.addTask { try await store.supportInbox(emailAddress: "help@kefu.example").id } }
                return try await group.reduce(into: Set<InboxID>()) { $0.insert($1) }
            }
            #expect(ids == [spare.id])
            #expect(try await store.inbox(emailAddress: "help@kefu.example")?.id == spare.id)
            // Asked again later, the same inbox answers; no new one is made.
            #expect(try await store.supportInbox(emailAddress: "HELP@kefu.example").id == spare.id)
            #expect(try await store.listInboxes().count == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func instancesWithDifferentAddressesDoNotShareTheSpareInbox(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            _ = try await store.createInbox(name: "Mail", kind: .email, audit: nil)
            for round in 0..<5 {
                let addresses = ["a\(round)@kefu.example", "b\(round)@kefu.example"]
                let chosen = try await withThrowingTaskGroup(of: (String, InboxID).self) { group in
                    for address in addresses { group.addTask { (address, try await store.supportInbox(emailAddress: address).id) } }
                    return try await group.reduce(into: [String: InboxID]()) { $0[$1.0] = $1.1 }
                }
                #expect(Set(chosen.values).count == 2)
                for address in addresses { #expect(try await store.inbox(emailAddress: address)?.id == chosen[address]) }
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func composingMailForOneConversationAtOnceMakesOneThread(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.createInbox(name: "Website", kind: .webchat, audit: nil)
            let contact = try await store.createContact(name: "李伟", email: "li.wei@example.cn", locale: "zh-CN")
            for _ in 0..<5 {
                let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil)
                let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<8 {
                        group.addTask { try await store.emailThread(conversationId: conversation.id, customerAddress: "li.wei@example.cn").replyToken }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(tokens.count == 1)
            }
        }
    }
}
