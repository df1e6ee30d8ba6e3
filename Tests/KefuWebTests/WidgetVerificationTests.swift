import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KefuCore
import KefuMail
import KefuStore
import NIOCore
import Testing

@testable import KefuWeb

@Suite struct WidgetVerificationTests {
    /// The latest code mailed to anyone, read from the outbox (tests run no sender).
    func latestCode(_ client: any TestClientProtocol, admin: String) async throws -> String {
        let outbox = try await client.json(.get, "/api/v1/outbox", token: admin)
        let id = try #require((outbox.object["items"] as? [[String: Any]])?.first?["id"] as? String)
        let raw = try await client.json(.get, "/api/v1/outbox/\(id)/raw", token: admin).text
        let text = ParsedMail.parse(Array(raw.utf8)).text
        let match = try #require(text.firstMatch(of: /(?:code is|验证码是)[:：]\s*(\d{6})/))
        return String(match.output.1)
    }

    @Test func aVerifiedEmailBringsTheSameHistoryToAnotherDevice() async throws {
        try await TestApp.run(live: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let admin = try await client.login()
            // Device A chats, then verifies its email.
            let (tokenA, contactA) = try await client.widgetSession(inbox: chat.id)
            try await client.visitor(tokenA) { socket in
                _ = try await socket.next()
                try await socket.send(["type": "message", "clientMsgId": "a-1", "text": "我的提现被冻结了"])
                _ = try await socket.frames(until: "ack")
            }
            let conversationId = try #require(
                try await app.store.latestConversation(contactId: ContactID(rawValue: contactA), inboxId: chat.id)?.id.rawValue)
            let sent = try await client.json(.post, "/api/v1/widget/email-verification?token=\(tokenA)", body: #"{"email":"Li.Wei@Example.cn"}"#)
            #expect(sent.status == .accepted)
            let wrong = try await client.json(
                .post, "/api/v1/widget/email-verification/confirm?token=\(tokenA)", body: #"{"email":"li.wei@example.cn","code":"000000"}"#)
            #expect(wrong.code == "invalid_otp")
            let code = try await latestCode(client, admin: admin)
            let confirmed = try await client.json(
                .post, "/api/v1/widget/email-verification/confirm?token=\(tokenA)", body: #"{"email":"li.wei@example.cn","code":"\#(code)"}"#)
            #expect(confirmed.status == .ok)
            #expect(confirmed.object["contactId"] as? String == contactA)
            // A code works once.
            let reused = try await client.json(
                .post, "/api/v1/widget/email-verification/confirm?token=\(tokenA)", body: #"{"email":"li.wei@example.cn","code":"\#(code)"}"#)
            #expect(reused.code == "invalid_otp")

            // Device B: a returning visitor (no form), verifies the same address, sees the chat.
            let returning = try await client.json(
                .post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","returning":true,"locale":"zh-CN"}"#)
            let tokenB = try #require(returning.object["sessionToken"] as? String)
            #expect(returning.object["contactId"] as? String != contactA)
            _ = try await client.json(.post, "/api/v1/widget/email-verification?token=\(tokenB)", body: #"{"email":"li.wei@example.cn"}"#)
            let codeB = try await latestCode(client, admin: admin)
            let joined = try await client.json(
                .post, "/api/v1/widget/email-verification/confirm?token=\(tokenB)", body: #"{"email":"li.wei@example.cn","code":"\#(codeB)"}"#)
            #expect(joined.object["contactId"] as? String == contactA)
            try await client.visitor(tokenB) { socket in
                let hello = try await socket.next()
                #expect(hello["conversationId"] as? String == conversationId)
                let replayed = try await socket.next()
                #expect(replayed["text"] as? String == "我的提现被冻结了")
            }
        }
    }

    /// Code mails go out from the official support address to whatever a visitor types: limits
    /// per session, per mailbox (plus-tags folded) and per client keep Kefu from mail-bombing an
    /// inbox (an outsider mailed 30 plus-tag variants and 40 addresses from one session).
    @Test func codeMailsAreLimitedPerSessionPerMailboxAndPerClient() async throws {
        try await TestApp.run(trustProxy: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            func ask(_ token: String, _ email: String, from address: String = "198.51.100.1") async throws -> String {
                let response = try await client.json(
                    .post, "/api/v1/widget/email-verification?token=\(token)", body: #"{"email":"\#(email)"}"#,
                    headers: [HTTPField.Name("X-Forwarded-For")!: address])
                return response.code ?? "\(response.status.code)"
            }
            // Plus-tag variants of one inbox, each from a fresh session and address: 5 mails.
            var tagged: [String] = []
            for index in 0..<8 {
                let (token, _) = try await client.widgetSession(inbox: chat.id)
                tagged.append(try await ask(token, "victim+\(index)@example.cn", from: "203.0.113.\(index)"))
            }
            #expect(tagged == Array(repeating: "202", count: 5) + Array(repeating: "too_many_attempts", count: 3))
            // Gmail ignores dots: one mailbox too. Quoted spellings are not addresses here at all.
            var dotted: [String] = []
            for index in 0..<6 {
                let (fresh, _) = try await client.widgetSession(inbox: chat.id)
                let local = "gmailvictim".enumerated().map { $0.offset == index + 1 ? ".\($0.element)" : "\($0.element)" }.joined()
                dotted.append(try await ask(fresh, "\(local)@\(index.isMultiple(of: 2) ? "gmail.com" : "googlemail.com")", from: "203.0.113.\(index + 50)"))
            }
            #expect(dotted == Array(repeating: "202", count: 5) + ["too_many_attempts"])
            let (quotedSession, _) = try await client.widgetSession(inbox: chat.id)
            #expect(try await ask(quotedSession, #"\"victim\"@example.cn"#, from: "203.0.113.99") == "validation_failed")
            // Many addresses from one session: 5.
            let (token, _) = try await client.widgetSession(inbox: chat.id)
            var spread: [String] = []
            for index in 0..<8 { spread.append(try await ask(token, "person\(index)@example.cn", from: "192.0.2.\(index)")) }
            #expect(spread == Array(repeating: "202", count: 5) + Array(repeating: "too_many_attempts", count: 3))
            // Many sessions and addresses from one client: 20.
            var fromOne: [String] = []
            for index in 0..<22 {
                let (fresh, _) = try await client.widgetSession(inbox: chat.id)
                fromOne.append(try await ask(fresh, "someone\(index)@example.org", from: "198.51.100.99"))
            }
            #expect(fromOne == Array(repeating: "202", count: 20) + Array(repeating: "too_many_attempts", count: 2))
        }
    }

    /// Sessions are free to make (each is a contact and rows in the store): one client address
    /// starts at most 200 chats in 15 minutes at full speed (an outsider made 2,000 in 5 s).
    @Test func oneClientStartsOnlySoManyChats() async throws {
        try await TestApp.run(trustProxy: true) { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            func start(from address: String) async throws -> TestResponse {
                try await client.json(
                    .post, "/api/v1/widget/sessions", body: #"{"inboxId":"\#(chat.id)","name":"访客"}"#,
                    headers: [HTTPField.Name("X-Forwarded-For")!: address])
            }
            for _ in 0..<200 { #expect(try await start(from: "198.51.100.5").status == .created) }
            // Past them, at most one a second (however long the 200 took on a loaded machine).
            let burst = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<5 { group.addTask { try await start(from: "198.51.100.5") } }
                return try await group.reduce(into: [TestResponse]()) { $0.append($1) }
            }
            let refused = burst.filter { $0.status == .tooManyRequests }
            #expect(refused.count >= 4)
            #expect(refused.allSatisfy { $0.code == "too_many_attempts" && $0.headers[.retryAfter] != nil })
            #expect(try await start(from: "198.51.100.6").status == .created)
        }
    }

    @Test func codesAreLimitedAndGuessesCounted() async throws {
        try await TestApp.run { client, app in
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let admin = try await client.login()
            let (token, _) = try await client.widgetSession(inbox: chat.id)
            // The same answer whether or not anyone has the address.
            let unknown = try await client.json(.post, "/api/v1/widget/email-verification?token=\(token)", body: #"{"email":"nobody@example.cn"}"#)
            #expect(unknown.status == .accepted)
            #expect(unknown.text == #"{"sent":true}"#)
            for _ in 0..<2 {
                #expect(try await client.json(.post, "/api/v1/widget/email-verification?token=\(token)", body: #"{"email":"nobody@example.cn"}"#).status == .accepted)
            }
            let limited = try await client.json(.post, "/api/v1/widget/email-verification?token=\(token)", body: #"{"email":"nobody@example.cn"}"#)
            #expect(limited.code == "too_many_attempts")
            let code = try await latestCode(client, admin: admin)
            // Five wrong guesses use up the code: the right one no longer works.
            for guess in ["111111", "222222", "333333", "444444", "555555"] where guess != code {
                _ = try await client.json(
                    .post, "/api/v1/widget/email-verification/confirm?token=\(token)", body: #"{"email":"nobody@example.cn","code":"\#(guess)"}"#)
            }
            let late = try await client.json(
                .post, "/api/v1/widget/email-verification/confirm?token=\(token)", body: #"{"email":"nobody@example.cn","code":"\#(code)"}"#)
            #expect(late.code == "invalid_otp")
            #expect(try await client.json(.post, "/api/v1/widget/email-verification", body: #"{"email":"x@example.cn"}"#).code == "unauthenticated")
            #expect(try await client.json(.post, "/api/v1/widget/email-verification?token=\(token)", body: #"{"email":"not-mail"}"#).code == "validation_failed")
        }
    }
}
