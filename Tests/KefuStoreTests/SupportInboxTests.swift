import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

/// Every instance makes sure at start that an email inbox answers the support address. Started
/// together on one database, they must agree on one inbox: the CI once saw the third instance
/// of a cluster exit because it adopted a "spare" inbox that a second instance had just created
/// for the address a first instance had taken meanwhile.
@Suite struct SupportInboxTests {
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
}
