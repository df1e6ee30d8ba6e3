import Foundation
import HTTPTypes
import HummingbirdTesting
import HummingbirdWSTesting
import KefuCore
import KefuRealtime
import KefuStore
import NIOCore
import Testing
import WSClient

/// A visitor's WebSocket, read frame by frame with a deadline so a missing frame fails the test
/// instead of hanging it.
struct VisitorSocket {
    var iterator: WebSocketInboundMessageStream.AsyncIterator
    let outbound: WebSocketOutboundWriter

    mutating func next(timeout: Duration = .seconds(5)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = try await iterator.next() else { throw TestFailure("socket closed") }
            if case .text(let text) = message, let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
                return object
            }
        }
        throw TestFailure("no frame within \(timeout)")
    }

    /// Frames until one of `type` arrives (returned last).
    mutating func frames(until type: String) async throws -> [[String: Any]] {
        var frames: [[String: Any]] = []
        repeat { frames.append(try await next()) } while frames.last?["type"] as? String != type
        return frames
    }

    func send(_ object: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: object)
        try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
    }
}

extension TestClientProtocol {
    /// Starts a widget session on a new webchat inbox (or the given one) and returns its token.
    func widgetSession(inbox: InboxID) async throws -> (token: String, contactId: String) {
        let response = try await json(
            .post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(inbox)","name":"访客","locale":"zh-CN","topic":"withdrawal-limit"}"#)
        guard response.status == .created, let token = response.object["sessionToken"] as? String,
            let contact = response.object["contactId"] as? String
        else { throw TestFailure("session: \(response.status) \(response.text)") }
        return (token, contact)
    }

    func visitor(_ token: String, since: Int64? = nil, _ body: @escaping @Sendable (inout VisitorSocket) async throws -> Void) async throws {
        let path = "/api/v1/widget/ws?token=\(token)" + (since.map { "&since=\($0)" } ?? "")
        try await ws(path) { inbound, outbound, _ in
            var socket = VisitorSocket(iterator: inbound.messages(maxSize: 1 << 20).makeAsyncIterator(), outbound: outbound)
            try await body(&socket)
        }
    }
}

@Suite struct WidgetSocketTests {
    @Test func startingASessionChecksTheInboxAndInput() async throws {
        try await TestApp.run { client, app in
            let mail = try await app.store.createInbox(name: "Mail", kind: .email, audit: nil)
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let wrongKind = try await client.json(.post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(mail.id)"}"#)
            #expect(wrongKind.code == "inbox_not_found")
            let badEmail = try await client.json(.post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","email":"not-an-email"}"#)
            #expect(badEmail.code == "validation_failed")
            let badUid = try await client.json(.post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","walletUid":"a\nb"}"#)
            #expect(badUid.code == "validation_failed")
            let withUid = try await client.json(
                .post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","walletUid":" UID-7788 ","email":"w@example.com"}"#)
            let uidContact = try #require((withUid.object["contactId"] as? String).flatMap(ContactID.init(validating:)))
            let claims = try await app.store.widgetClaims(contactId: uidContact)
            #expect(claims.walletUid == "UID-7788")
            #expect(claims.email == "w@example.com")
            // A topic the inbox does not offer (a stale page) is dropped, never a refusal.
            let staleTopic = try await client.json(.post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","topic":"refund"}"#)
            #expect(staleTopic.status == .created)
            let french = try await client.json(.post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","locale":"fr-FR"}"#)
            #expect(french.status == .created)
            // Claiming someone's email gives a new contact, never theirs.
            let owner = try await app.store.createContact(name: "Owner", email: "owner@example.com", locale: nil)
            let claim = try await client.json(.post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","email":"owner@example.com"}"#)
            #expect(claim.status == .created)
            #expect(claim.object["contactId"] as? String != owner.id.rawValue)
            // A widget can ask whether its session is still good.
            let token = try #require(claim.object["sessionToken"] as? String)
            let valid = try await client.json(.get, "/api/v1/widget/session?token=\(token)")
            #expect(valid.object["contactId"] as? String == claim.object["contactId"] as? String)
            #expect(try await client.json(.get, "/api/v1/widget/session?token=nope").code == "unauthenticated")
        }
    }

    @Test func aMessageIsAcknowledgedAfterItIsStoredAndOnlyOnce() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (token, contactId) = try await client.widgetSession(inbox: chat.id)
            let store = app.store
            try await client.visitor(token) { socket in
                let hello = try await socket.next()
                #expect(hello["type"] as? String == "hello")
                #expect(hello["conversationId"] is NSNull)  // present and null, as documented
                try await socket.send(["type": "message", "clientMsgId": "c-1", "text": "我的提现一直在审核中"])
                let ack = try #require(try await socket.frames(until: "ack").last)
                #expect(ack["seq"] as? Int == 1)
                // The ack means it is stored.
                let conversationId = try #require((ack["conversationId"] as? String).flatMap(ConversationID.init(validating:)))
                #expect(try await store.messages(conversationId: conversationId, since: 0, limit: 10).count == 1)
                // A resend after a dropped ack is the same message.
                try await socket.send(["type": "message", "clientMsgId": "c-1", "text": "我的提现一直在审核中"])
                let again = try #require(try await socket.frames(until: "ack").last)
                #expect(again["id"] as? String == ack["id"] as? String)
                #expect(again["seq"] as? Int == 1)
                #expect(try await store.messages(conversationId: conversationId, since: 0, limit: 10).count == 1)
                let conversation = try #require(try await store.conversation(id: conversationId))
                #expect(conversation.contactId.rawValue == contactId)
                #expect(conversation.subject == "我的提现一直在审核中")
                #expect(conversation.labels == ["withdrawal-limit"])
            }
        }
    }

    @Test func reconnectingWithSinceReplaysEveryMissedEventInOrder() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (token, _) = try await client.widgetSession(inbox: chat.id)
            let agentToken = try await client.login()
            let conversationId = ConversationIDBox()
            try await client.visitor(token) { socket in
                _ = try await socket.next()
                try await socket.send(["type": "message", "clientMsgId": "c-1", "text": "hello"])
                let ack = try #require(try await socket.frames(until: "ack").last)
                await conversationId.set(ack["conversationId"] as? String)
            }
            // While the visitor is away: a reply, a private note, another reply, a status change.
            let id = try #require(await conversationId.value)
            let path = "/api/v1/conversations/\(id)/messages"
            _ = try await client.json(.post, path, token: agentToken, body: #"{"text":"您好，正在为您查询。"}"#)
            _ = try await client.json(.post, path, token: agentToken, body: #"{"text":"internal: check risk hold","private":true}"#)
            _ = try await client.json(.post, path, token: agentToken, body: #"{"text":"已为您解除，请重试提现。"}"#)
            _ = try await client.json(.patch, "/api/v1/conversations/\(id)", token: agentToken, body: #"{"status":"resolved"}"#)

            try await client.visitor(token, since: 1) { socket in
                let hello = try await socket.next()
                #expect(hello["lastSeq"] as? Int == 5)
                let first = try await socket.next()
                let second = try await socket.next()
                let third = try await socket.next()
                #expect(first["seq"] as? Int == 2)
                #expect(first["text"] as? String == "您好，正在为您查询。")
                #expect((first["author"] as? [String: Any])?["name"] as? String == "Admin")
                // seq 3 is the private note: never sent to the customer.
                #expect(second["seq"] as? Int == 4)
                #expect(third["type"] as? String == "conversation")
                #expect(third["seq"] as? Int == 5)
                #expect(third["status"] as? String == "resolved")
                // Live from here: the next reply arrives without reconnecting.
                _ = try await client.json(.post, path, token: agentToken, body: #"{"text":"还有其他问题吗？"}"#)
                let live = try await socket.next()
                #expect(live["seq"] as? Int == 6)
            }
        }
    }

    @Test func aSessionTokenOnlyEverSeesItsOwnContact() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (alice, _) = try await client.widgetSession(inbox: chat.id)
            let (bob, _) = try await client.widgetSession(inbox: chat.id)
            try await client.visitor(bob) { socket in
                _ = try await socket.next()
                try await socket.send(["type": "message", "clientMsgId": "b-1", "text": "bob's secret seed question"])
                _ = try await socket.frames(until: "ack")
            }
            try await client.visitor(alice, since: 0) { socket in
                let hello = try await socket.next()
                #expect(hello["conversationId"] == nil || hello["conversationId"] is NSNull)
                try await socket.send(["type": "message", "clientMsgId": "a-1", "text": "alice here"])
                let frames = try await socket.frames(until: "ack")
                #expect(!frames.contains { ($0["text"] as? String)?.contains("bob") == true })
            }
            await #expect(throws: (any Error).self) {
                try await client.visitor("made-up-token") { socket in _ = try await socket.next() }
            }
        }
    }
}

actor ConversationIDBox {
    var value: String?
    func set(_ value: String?) { self.value = value }
}

@Suite struct AgentSocketTests {
    func agentFeed(
        _ client: any TestClientProtocol, headers: HTTPFields, query: String = "",
        _ body: @escaping @Sendable (inout VisitorSocket) async throws -> Void
    ) async throws {
        try await client.ws("/api/v1/agent/ws\(query)", configuration: .init(additionalHeaders: headers)) { inbound, outbound, _ in
            var socket = VisitorSocket(iterator: inbound.messages(maxSize: 1 << 20).makeAsyncIterator(), outbound: outbound)
            try await body(&socket)
        }
    }

    @Test func agentsSeeCustomerMessagesAndTypingLive() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (visitorToken, _) = try await client.widgetSession(inbox: chat.id)
            let token = try await client.login()
            try await agentFeed(client, headers: [.authorization: "Bearer \(token)"]) { agent in
                #expect(try await agent.next()["type"] as? String == "hello")
                try await client.visitor(visitorToken) { visitor in
                    _ = try await visitor.next()
                    try await visitor.send(["type": "message", "clientMsgId": "v-1", "text": "有人吗？"])
                    _ = try await visitor.frames(until: "ack")
                    try await visitor.send(["type": "typing", "isTyping": true])
                }
                let message = try await agent.next()
                #expect(message["type"] as? String == "message")
                #expect(message["text"] as? String == "有人吗？")
                // The only agent online (this feed) gets the new chat.
                let assigned = try await agent.next()
                #expect(assigned["direction"] as? String == "system")
                let adminId = try #require(try await app.store.credentials(email: TestApp.adminEmail)?.0.id)
                #expect(assigned["text"] as? String == "assignee:\(adminId)")
                let typing = try await agent.next()
                #expect(typing["type"] as? String == "typing")
                #expect((typing["author"] as? [String: Any])?["kind"] as? String == "contact")
            }
        }
    }

    @Test func withNobodyOnlineTheWidgetOffersEmailAndTheChatWaitsUnassigned() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (visitorToken, _) = try await client.widgetSession(inbox: chat.id)
            try await client.visitor(visitorToken) { visitor in
                let hello = try await visitor.next()
                #expect(hello["agentsOnline"] as? Bool == false)
                #expect(hello["emailKnown"] as? Bool == false)
                try await visitor.send(["type": "contact", "email": "not an email"])
                #expect(try await visitor.next()["code"] as? String == "validation_failed")
                try await visitor.send(["type": "contact", "email": "Li.Wei@Example.cn"])
                #expect(try await visitor.next()["type"] as? String == "saved")
                try await visitor.send(["type": "message", "clientMsgId": "m-1", "text": "晚上有人吗"])
                let ack = try #require(try await visitor.frames(until: "ack").last)
                let id = try #require((ack["conversationId"] as? String).flatMap(ConversationID.init(validating:)))
                #expect(try await app.store.conversation(id: id)?.assigneeId == nil)
            }
            let sessions = try await app.store.database.read { sql in
                try await sql.raw("SELECT claimed_email FROM widget_sessions").all().map { try $0.decode(column: "claimed_email", as: String?.self) }
            }
            #expect(sessions == ["li.wei@example.cn"])
        }
    }

    @Test func readMarksTravelBothWaysAndOnlyForward() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (visitorToken, _) = try await client.widgetSession(inbox: chat.id)
            let token = try await client.login()
            let conversationBox = ConversationIDBox()
            try await client.visitor(visitorToken) { visitor in
                _ = try await visitor.next()
                try await visitor.send(["type": "message", "clientMsgId": "r-1", "text": "hello"])
                let ack = try #require(try await visitor.frames(until: "ack").last)
                await conversationBox.set(ack["conversationId"] as? String)
            }
            let id = try #require(await conversationBox.value)
            _ = try await client.json(.post, "/api/v1/conversations/\(id)/messages", token: token, body: #"{"text":"您好"}"#)
            try await client.visitor(visitorToken) { visitor in
                let hello = try await visitor.next()
                #expect(hello["agentReadSeq"] as? Int == 0)
                _ = try await visitor.frames(until: "message")  // seq 1
                _ = try await visitor.frames(until: "message")  // seq 2, the reply
                try await visitor.send(["type": "read", "seq": 2])
                try await visitor.send(["type": "read", "seq": 99])  // beyond the conversation: ignored
                try await visitor.send(["type": "typing", "isTyping": false])  // a last frame to wait behind
            }
            let conversationId = try #require(ConversationID(validating: id))
            try await agentFeed(client, headers: [.authorization: "Bearer \(token)"]) { agent in
                _ = try await agent.next()
                try await agent.send(["type": "read", "conversationId": id, "seq": 1])
            }
            // The frames are handled asynchronously; wait for both positions to land.
            var stored = try #require(try await app.store.conversation(id: conversationId))
            for _ in 0..<50 where stored.contactReadSeq != 2 || stored.agentReadSeq != 1 {
                try await Task.sleep(for: .milliseconds(20))
                stored = try #require(try await app.store.conversation(id: conversationId))
            }
            try await client.visitor(visitorToken) { visitor in
                let hello = try await visitor.next()
                #expect(hello["agentReadSeq"] as? Int == 1)
            }
            #expect(stored.contactReadSeq == 2)
            #expect(stored.agentReadSeq == 1)
            let backwards = try await app.store.markRead(conversationId: stored.id, by: .contact, upTo: 1)
            #expect(backwards == false)
        }
    }

    @Test func theFeedNeedsAnAgentAndRefusesOtherSites() async throws {
        try await TestApp.run(live: true) { client, _ in
            await #expect(throws: (any Error).self) {
                try await agentFeed(client, headers: [:]) { socket in _ = try await socket.next() }
            }
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let cookie = browser.cookieHeader
            await #expect(throws: (any Error).self) {
                try await agentFeed(client, headers: [.cookie: cookie, .origin: "https://evil.example"]) { socket in _ = try await socket.next() }
            }
            // The console's own page (a raw handshake: the test client always sends an Origin
            // without the port, which is another origin).
            let port = try #require(client.port)
            let own = try await WebSocketRefusalTests.handshake(
                port: port, path: "/api/v1/agent/ws", headers: ["Cookie": cookie, "Origin": "http://127.0.0.1:\(port)"])
            #expect(own.status == 101)
            let otherPort = try await WebSocketRefusalTests.handshake(
                port: port, path: "/api/v1/agent/ws", headers: ["Cookie": cookie, "Origin": "http://127.0.0.1:\(port + 1)"])
            #expect(otherPort.status == 403)
        }
    }
}

@Suite struct AttachmentTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 64)

    @Test func visitorsSendSniffedImagesThatOnlyTheyAndAgentsCanRead() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (token, _) = try await client.widgetSession(inbox: chat.id)
            let (otherToken, _) = try await client.widgetSession(inbox: chat.id)
            // A script renamed to .png is refused: the type comes from the bytes.
            let fake = try await client.execute(
                uri: "/api/v1/widget/attachments?token=\(token)&filename=x.png", method: .post, headers: [:],
                body: ByteBuffer(string: "<script>alert(1)</script>"))
            #expect(fake.code == "validation_failed")
            let upload = try await client.execute(
                uri: "/api/v1/widget/attachments?token=\(token)&filename=..%2F%E8%BD%AC%E8%B4%A6%E6%88%AA%E5%9B%BE.PNG", method: .post, headers: [:],
                body: ByteBuffer(bytes: Self.png))
            #expect(upload.status == .created)
            #expect(upload.object["filename"] as? String == "转账截图.png")
            #expect(upload.object["contentType"] as? String == "image/png")
            let attachmentId = try #require(upload.object["id"] as? String)

            // Another visitor can neither attach nor read it.
            try await client.visitor(otherToken) { socket in
                _ = try await socket.next()
                try await socket.send(["type": "message", "clientMsgId": "o-1", "text": "steal", "attachmentIds": [attachmentId]])
                let error = try #require(try await socket.frames(until: "error").last)
                #expect(error["code"] as? String == "attachment_not_found")
            }
            let peek = try await client.execute(uri: "/api/v1/widget/attachments/\(attachmentId)?token=\(otherToken)", method: .get, headers: [:], body: nil)
            #expect(peek.status == .notFound)

            try await client.visitor(token) { socket in
                _ = try await socket.next()
                try await socket.send(["type": "message", "clientMsgId": "p-1", "text": "", "attachmentIds": [attachmentId]])
                // The ack and the message event travel separately; either may come first.
                var frames = try await socket.frames(until: "ack")
                if !frames.contains(where: { $0["type"] as? String == "message" }) { frames.append(try await socket.next()) }
                let message = try #require(frames.first { $0["type"] as? String == "message" })
                #expect((message["attachments"] as? [[String: Any]])?.first?["id"] as? String == attachmentId)
            }
            let own = try await client.execute(uri: "/api/v1/widget/attachments/\(attachmentId)?token=\(token)", method: .get, headers: [:], body: nil)
            #expect(own.status == .ok)
            #expect(own.headers[.contentType] == "image/png")
            #expect(own.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox")
            #expect(Array(buffer: own.body) == Self.png)
            let agentToken = try await client.login()
            let agentView = try await client.json(.get, "/api/v1/attachments/\(attachmentId)", token: agentToken)
            #expect(agentView.status == .ok)

            // A large file comes whole (streamed from disk in chunks), with its length.
            let large = Self.png + (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let stored = try await client.execute(
                uri: "/api/v1/widget/attachments?token=\(token)&filename=big.png", method: .post, headers: [:], body: ByteBuffer(bytes: large))
            let largeId = try #require(stored.object["id"] as? String)
            let fetched = try await client.execute(uri: "/api/v1/widget/attachments/\(largeId)?token=\(token)", method: .get, headers: [:], body: nil)
            #expect(fetched.status == .ok && fetched.headers[.contentLength] == String(large.count))
            #expect(Array(buffer: fetched.body) == large)
            // A row whose file is gone from disk is that file not found.
            let sha = try #require(stored.object["sha256"] as? String)
            let blob = app.dataDirectory.appendingPathComponent("attachments/\(sha.prefix(2))/\(sha.dropFirst(2))")
            try FileManager.default.removeItem(at: blob)
            let gone = try await client.execute(uri: "/api/v1/widget/attachments/\(largeId)?token=\(token)", method: .get, headers: [:], body: nil)
            #expect(gone.status == .notFound && gone.code == "file_not_found")
        }
    }
}

extension Array where Element == UInt8 {
    init(buffer: ByteBuffer) { self = buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? [] }
}
