import Foundation
import HummingbirdTesting
import KefuCore
import KefuStore
import Testing

@testable import KefuWeb

/// A chat reply's follow-up mail waits in the outbox uncomposed until it is due (ChatReplyMail):
/// admins see the row and are told why it has no bytes yet, through the API and the console.
@Suite struct ChatReplyOutboxTests {
    @Test func aQueuedChatReplyIsShownAsNotComposedYet() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let admin = try await client.login()
            let session = try await client.json(
                .post, "/api/v1/widget/sessions",
                body: #"{"inboxId":"\#(chat.id)","name":"访客","email":"gao@example.cn","locale":"zh-CN","topic":"withdrawal-limit"}"#)
            let token = try #require(session.object["sessionToken"] as? String)
            let contact = try #require(session.object["contactId"] as? String)
            try await client.visitor(token) { socket in
                _ = try await socket.next()
                try await socket.send(["type": "message", "clientMsgId": "v-1", "text": "提现一直在审核"])
                _ = try await socket.frames(until: "ack")
            }
            let conversation = try #require(try await app.store.latestConversation(contactId: ContactID(rawValue: contact), inboxId: chat.id))
            let reply = try await client.json(
                .post, "/api/v1/conversations/\(conversation.id)/messages", token: admin, body: #"{"text":"正在为您查看","clientMessageId":"a-1"}"#)
            #expect(reply.status == .created, "\(reply.text)")

            let outbox = try await client.json(.get, "/api/v1/outbox?status=queued", token: admin)
            let items = try #require(outbox.object["items"] as? [[String: Any]])
            let queued = try #require(items.first { $0["kind"] as? String == "chat_reply" })
            #expect(queued["recipients"] as? [String] == ["gao@example.cn"])
            #expect(queued["rawSha256"] as? String == "")
            #expect((queued["messageId"] as? String)?.isEmpty == false)
            let id = try #require(queued["id"] as? String)

            let raw = try await client.json(.get, "/api/v1/outbox/\(id)/raw", token: admin)
            #expect(raw.status == .conflict)
            #expect(raw.code == "mail_not_composed")

            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let page = try await browser.get("/console/admin/outbox/\(id)", language: "zh-CN")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"data-testid="outbox-not-composed""#))
            #expect(page.text.contains("仅当访客到发送时间仍未在聊天中阅读该回复时"))
            #expect(page.text.contains("gao@example.cn"))
        }
    }
}
