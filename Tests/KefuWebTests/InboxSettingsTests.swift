import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KefuCore
import KefuStore
import NIOCore
import Testing

@testable import KefuWeb

@Suite struct PrechatFormAPITests {
    static let kycForm = #"""
        {"prechatForm":{"name":"hidden","email":"required","walletUid":"optional","topic":"required",
         "topics":[{"key":"kyc","label":{"en":" Verification ","zh-CN":"身份认证"}},{"key":"login","label":{"en":"Login","zh-CN":"登录"}}]}}
        """#

    @Test func adminsSetAnInboxsFormAndVisitorsMustAnswerIt() async throws {
        try await TestApp.run { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let admin = try await client.login()
            let agent = try await client.login(TestApp.agentEmail, TestApp.agentPassword)

            let before = try await client.json(.get, "/api/v1/inboxes/\(chat.id)", token: agent)
            #expect((before.object["prechatForm"] as? [String: Any])?["topic"] as? String == "optional")
            #expect(try await client.json(.patch, "/api/v1/inboxes/\(chat.id)", token: agent, body: Self.kycForm).status == .forbidden)

            let saved = try await client.json(.patch, "/api/v1/inboxes/\(chat.id)", token: admin, body: Self.kycForm)
            #expect(saved.status == .ok)
            let form = try #require(saved.object["prechatForm"] as? [String: Any])
            let topics = try #require(form["topics"] as? [[String: Any]])
            #expect((topics.first?["label"] as? [String: Any])?["en"] as? String == "Verification")
            let audit = try await app.store.auditEntries(before: nil, limit: 1).first
            #expect(audit?.action == "inbox.updated")
            #expect(audit?.detail["prechatForm"]?.contains("\"kyc\"") == true)

            // The public view a widget or in-app chat reads before starting a session.
            let publicView = try await client.json(.get, "/api/v1/widget/inboxes/\(chat.id)")
            #expect((publicView.object["prechatForm"] as? [String: Any])?["email"] as? String == "required")

            let missing = try await client.json(.post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","name":"Li"}"#)
            #expect(missing.status == .badRequest)
            #expect(Set((missing.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }) == ["email", "topic"])
            let oldTopic = try await client.json(
                .post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","email":"li@example.cn","topic":"security"}"#)
            #expect(oldTopic.code == "validation_failed")
            let good = try await client.json(
                .post, "/api/v1/widget/sessions",
                body: #"{"inboxId":"\#(chat.id)","name":"Li Wei","email":"li@example.cn","topic":"kyc"}"#)
            #expect(good.status == .created)
            // The name was not asked, so it is not kept.
            let contactId = try #require((good.object["contactId"] as? String).flatMap(ContactID.init(validating:)))
            #expect(try await app.store.contact(id: contactId)?.name == nil)
        }
    }

    @Test func aBrokenFormIsRefusedWithEveryProblemAndChangesNothing() async throws {
        try await TestApp.run { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let mail = try await app.store.createInbox(name: "Mail", kind: .email, audit: nil)
            let admin = try await client.login()
            let broken = #"""
                {"name":"  ","prechatForm":{"name":"optional","email":"optional","walletUid":"optional","topic":"required",
                 "topics":[{"key":"a b","label":{"en":"","zh-CN":"好"}},{"key":"x","label":{"en":"X","zh-CN":"叉"}},{"key":"x","label":{"en":"Y","zh-CN":"歪"}}]}}
                """#
            let refused = try await client.json(.patch, "/api/v1/inboxes/\(chat.id)", token: admin, body: broken)
            #expect(refused.status == .badRequest)
            let names = (refused.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(
                names == ["name", "prechatForm.topics[0].key", "prechatForm.topics[0].label.en", "prechatForm.topics[2].key"])
            #expect(try await app.store.inbox(id: chat.id)?.prechatForm == .standard)
            #expect(try await app.store.inbox(id: chat.id)?.name == "Chat")
            let badAsk = try await client.json(
                .patch, "/api/v1/inboxes/\(chat.id)", token: admin, body: #"{"prechatForm":{"name":"maybe"}}"#)
            #expect(badAsk.status == .badRequest)
            let onMail = try await client.json(.patch, "/api/v1/inboxes/\(mail.id)", token: admin, body: Self.kycForm)
            #expect(onMail.code == "inbox_conflict")
            #expect(try await client.json(.patch, "/api/v1/inboxes/\(UUID())", token: admin, body: #"{"name":"x"}"#).status == .notFound)
            #expect(try await client.json(.get, "/api/v1/widget/inboxes/\(mail.id)").code == "inbox_not_found")
        }
    }

    @Test func aFormThatAsksNothingStartsTheChatAtOnce() async throws {
        try await TestApp.run { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            _ = try await app.store.updateInbox(
                id: chat.id, name: nil,
                prechatForm: PrechatForm(name: .hidden, email: .hidden, walletUid: .hidden, topic: .hidden, topics: []), audit: nil)
            let frame = try await client.execute(uri: "/widget/frame?inbox=\(chat.id)&lang=en", method: .get, headers: [:], body: nil)
            #expect(frame.text.contains(#"data-asks-nothing="true""#))
            #expect(!frame.text.contains(#"data-testid="widget-email""#))
            let session = try await client.json(.post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","email":"x@example.com"}"#)
            #expect(session.status == .created)
        }
    }

    @Test func theWidgetFrameDrawsTheFormInTheVisitorsLanguage() async throws {
        try await TestApp.run { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let admin = try await client.login()
            _ = try await client.json(.patch, "/api/v1/inboxes/\(chat.id)", token: admin, body: Self.kycForm)
            let zh = try await client.execute(uri: "/widget/frame?inbox=\(chat.id)&lang=zh-CN", method: .get, headers: [:], body: nil).text
            #expect(zh.contains(#"<option value="kyc">身份认证</option>"#))
            #expect(zh.contains(#"name="email" type="email" maxlength="254" autocomplete="email" required"#))
            #expect(!zh.contains(#"name="name""#))
            let en = try await client.execute(uri: "/widget/frame?inbox=\(chat.id)&lang=en", method: .get, headers: [:], body: nil).text
            #expect(en.contains(#"<option value="kyc">Verification</option>"#))
        }
    }
}

@Suite struct AvatarTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 3, count: 40)

    @Test func anAgentUploadsAPictureCustomersCanSee() async throws {
        try await TestApp.run(live: true) { client, app in
            let token = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            let headers: HTTPFields = [.authorization: "Bearer \(token)"]
            let svg = try await client.execute(
                uri: "/api/v1/me/avatar", method: .put, headers: headers, body: ByteBuffer(string: "<svg onload=alert(1)></svg>"))
            #expect(svg.code == "validation_failed")
            let huge = try await client.execute(
                uri: "/api/v1/me/avatar", method: .put, headers: headers,
                body: ByteBuffer(bytes: Self.png + Array(repeating: 0, count: AgentAvatar.maxBytes)))
            #expect(huge.status == .contentTooLarge)
            let saved = try await client.execute(uri: "/api/v1/me/avatar", method: .put, headers: headers, body: ByteBuffer(bytes: Self.png))
            #expect(saved.status == .ok)
            let url = try #require(saved.object["avatarUrl"] as? String)
            #expect(try await app.store.auditEntries(before: nil, limit: 1).first?.action == "agent.avatar.changed")

            // Public (the widget has no agent session), typed by its bytes, cacheable by version.
            let image = try await client.execute(uri: url, method: .get, headers: [:], body: nil)
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/png")
            #expect(image.headers[.cacheControl]?.contains("immutable") == true)
            #expect(image.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox")
            #expect(Array(buffer: image.body) == Self.png)

            // The widget shows it next to the agent's reply.
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (visitorToken, _) = try await client.widgetSession(inbox: chat.id)
            try await client.visitor(visitorToken) { socket in
                _ = try await socket.next()
                try await socket.send(["type": "message", "clientMsgId": "v-1", "text": "hello"])
                let ack = try #require(try await socket.frames(until: "ack").last)
                let conversationId = try #require(ack["conversationId"] as? String)
                let sent = try await client.json(.post, "/api/v1/conversations/\(conversationId)/messages", token: token, body: #"{"text":"您好"}"#)
                #expect(sent.status == .created)
                var reply: [String: Any]?
                while reply == nil {
                    let frame = try await socket.next()
                    if frame["type"] as? String == "message", frame["direction"] as? String == "outgoing" { reply = frame }
                }
                let author = try #require(reply?["author"] as? [String: Any])
                #expect(author["avatarUrl"] as? String == url)
                #expect(author["name"] as? String == "Agent")
            }

            let removed = try await client.execute(uri: "/api/v1/me/avatar", method: .delete, headers: headers, body: nil)
            #expect(removed.status == .ok)
            #expect(removed.object["avatarUrl"] == nil)
            #expect(try await client.execute(uri: url, method: .get, headers: [:], body: nil).status == .notFound)
        }
    }
}
