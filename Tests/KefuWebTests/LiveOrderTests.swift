import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import KefuRealtime
import KefuStore
import Testing

/// Two writers to one conversation commit in `seq` order but may publish in the other order.
/// A socket that sees a later `seq` first reads the skipped ones from the store, so nothing is
/// lost and the order holds (found by an outside attack: replies went missing from open chats).
@Suite struct LiveOrderTests {
    /// Stores two agent replies without publishing them, then publishes only the second.
    static func storeTwoPublishLast(_ app: TestApp, conversation: ConversationID) async throws -> (AppendResult, AppendResult) {
        let admin = try #require(try await app.store.credentials(email: TestApp.adminEmail)?.0.id)
        let first = try await app.store.appendMessage(
            conversationId: conversation, NewMessage(direction: .outgoing, author: .agent(admin), text: "第一条回复"))
        let second = try await app.store.appendMessage(
            conversationId: conversation, NewMessage(direction: .outgoing, author: .agent(admin), text: "second reply"))
        app.hub.publish(.message(second.message, contactId: second.contactId, inboxId: second.inboxId))
        return (first, second)
    }

    @Test func aVisitorGetsAReplyPublishedLateInItsPlace() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (token, _) = try await client.widgetSession(inbox: chat.id)
            try await client.visitor(token) { socket in
                _ = try await socket.next()
                try await socket.send(["type": "message", "clientMsgId": "c-1", "text": "在吗"])
                let ack = try #require(try await socket.frames(until: "ack").last)
                let conversation = try #require((ack["conversationId"] as? String).flatMap(ConversationID.init(validating:)))
                let (first, _) = try await Self.storeTwoPublishLast(app, conversation: conversation)
                // (The visitor's own message comes back as an event too: seq 1.)
                var replies: [[String: Any]] = []
                while replies.count < 2 {
                    let frame = try await socket.next()
                    if frame["type"] as? String == "message", (frame["seq"] as? Int ?? 0) > 1 { replies.append(frame) }
                }
                #expect(replies.map { $0["seq"] as? Int } == [2, 3])
                #expect(replies.map { $0["text"] as? String } == ["第一条回复", "second reply"])
                // The late publish of the first is not sent again; the next message follows.
                app.hub.publish(.message(first.message, contactId: first.contactId, inboxId: first.inboxId))
                try await socket.send(["type": "message", "clientMsgId": "c-2", "text": "好的"])
                let next = try #require(try await socket.frames(until: "ack").last)
                #expect(next["seq"] as? Int == 4)
            }
        }
    }

    @Test func anAgentFeedGetsAReplyPublishedLateInItsPlace() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let contact = try await app.store.createContact(name: "Li Wei", email: "li@kefu.test", locale: "zh-CN")
            let conversation = try await app.store.createConversation(inboxId: chat.id, contactId: contact.id, subject: "提现")
            let token = try await client.login()
            try await AgentSocketTests().agentFeed(client, headers: [.authorization: "Bearer \(token)"], query: "?conversationId=\(conversation.id)")
            { feed in
                #expect(try await feed.next()["type"] as? String == "hello")
                let (first, _) = try await Self.storeTwoPublishLast(app, conversation: conversation.id)
                let replies = [try await feed.next(), try await feed.next()]
                #expect(replies.map { $0["seq"] as? Int } == [1, 2])
                app.hub.publish(.message(first.message, contactId: first.contactId, inboxId: first.inboxId))
                let third = try await app.store.appendMessage(
                    conversationId: conversation.id, NewMessage(direction: .incoming, author: .contact(contact.id), text: "谢谢"))
                app.hub.publish(.message(third.message, contactId: third.contactId, inboxId: third.inboxId))
                #expect(try await feed.next()["seq"] as? Int == 3)
            }
        }
    }
}
