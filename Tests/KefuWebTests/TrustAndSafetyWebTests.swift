import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KefuCore
import KefuStore
import NIOCore
import Testing

@testable import KefuWeb

/// The verify page's agent-code check and impersonation report, the reports queue, and their API.
@Suite struct TrustAndSafetyWebTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 64)

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&"))
    }

    static func multipart(_ fields: [String: String], file: (name: String, filename: String, type: String, bytes: [UInt8])?) -> (String, ByteBuffer) {
        let boundary = "----kefu\(UUID().uuidString.prefix(8))"
        var body: [UInt8] = []
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        if let file {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\nContent-Type: \(file.type)\r\n\r\n".utf8)
            body += file.bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(bytes: body))
    }

    @Test func anAgentsCodeChecksOnTheVerifyPageForItsCustomerOnly() async throws {
        try await TestApp.run { client, app in
            let token = try await client.login()
            // A customer who wrote by mail: the reply (and its code) is mailed to their address.
            let inbox = try await app.store.createInbox(name: "Mail", kind: .email, audit: nil)
            let email = "li.wei@example.cn"
            let contact = try await app.store.createContact(name: "Li Wei", email: email, locale: "zh-CN")
            let conversation = try await app.store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: "提现")
            _ = try await app.store.appendMessage(conversationId: conversation.id, NewMessage(direction: .incoming, author: .contact(contact.id), text: "提现"))
            let reply = try await client.json(.post, "/api/v1/conversations/\(conversation.id)/messages", token: token, body: #"{"text":"您好"}"#)
            let code = try #require(reply.object["agentCode"] as? String)
            // The agent sees the code their reply carried.
            var console = ConsoleBrowser(client: client)
            try await console.signIn()
            #expect(try await console.get("/console/conversations/\(conversation.id)").text.contains(#"data-testid="console-agent-code">\#(AgentCode.display(code))<"#))
            func check(_ code: String, _ email: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/help/en/verify/code", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: Self.form(["code": code, "email": email]))
            }
            let genuine = try await check(AgentCode.display(code), email.uppercased())
            #expect(genuine.status == .ok)
            #expect(genuine.text.contains(#"data-testid="agent-code-verdict" data-status="official""#))
            #expect(genuine.text.contains("Yes: Admin is our agent, talking to you in conversation #\(conversation.number)."))
            let someoneElse = try await check(code, "victim@example.com")
            #expect(someoneElse.text.contains(#"data-status="impersonation""#) && !someoneElse.text.contains("Admin is our agent"))
            #expect(try await check("12", email).text.contains(#"data-testid="agent-code-error""#))
            // Wrong codes are limited per network; genuine answers gave their attempt back.
            for _ in 0..<9 { #expect(try await check("ZZZZ-ZZZZ", email).status == .ok) }
            #expect(try await check("ZZZZ-ZZZZ", email).status == .tooManyRequests)
            // The API answers the same, and counts against the same limit.
            let api = try await client.json(.post, "/api/v1/help/verify/agent-code", body: #"{"code":"\#(code)","email":"\#(email)"}"#)
            #expect(api.status == .tooManyRequests)
            app.throttleClock.advance(by: 3600)
            let answer = try await client.json(.post, "/api/v1/help/verify/agent-code", body: #"{"code":"\#(code)","email":"\#(email)"}"#)
            #expect(answer.object["genuine"] as? Bool == true && answer.object["agentName"] as? String == "Admin")
        }
    }

    @Test func aReportWithAScreenshotReachesTheQueueAndCountsOnTheVerifyPage() async throws {
        try await TestApp.run { client, app in
            let (type, body) = Self.multipart(
                ["place": "telegram", "handle": "@Kefu_Support_Desk", "note": "Asked for my recovery phrase"],
                file: ("screenshot", "chat.png", "image/png", Self.png))
            let sent = try await client.execute(uri: "/help/en/verify/report", method: .post, headers: [.contentType: type], body: body)
            #expect(sent.status == .seeOther)
            #expect(sent.headers[.location] == "/help/en/verify?reported=1#report")
            let stored = try #require(try await app.store.impersonationReports(status: .new, before: nil, limit: 10).first)
            #expect(stored.handleKey == "telegram:kefu_support_desk")
            #expect(stored.screenshotType == "image/png")
            // The same account written another way counts together.
            let api = try await client.json(.post, "/api/v1/help/impersonation-reports", body: #"{"place":"telegram","handle":"t.me/kefu_support_desk"}"#)
            #expect(api.status == .created)
            let verdict = try await client.execute(uri: "/help/en/verify?value=%40kefu_support_desk", method: .get)
            #expect(verdict.text.contains("Customers reported this account as a fake 2 times."))
            // Bad input: a text file as the screenshot, no handle, an unknown place.
            let (badType, badBody) = Self.multipart(["place": "telegram", "handle": "@x"], file: ("screenshot", "a.png", "image/png", Array("hello".utf8)))
            let bad = try await client.execute(uri: "/help/en/verify/report", method: .post, headers: [.contentType: badType], body: badBody)
            #expect(bad.status == .badRequest && bad.text.contains(#"data-testid="report-error""#))
            let moon = try await client.json(.post, "/api/v1/help/impersonation-reports", body: #"{"place":"moon","handle":"x"}"#)
            #expect(moon.status == .badRequest && moon.code == "validation_failed", "\(moon.text)")
            #expect(try await client.json(.post, "/api/v1/help/impersonation-reports", body: #"{"place":"x","handle":"  "}"#).code == "validation_failed")

            // Supervisors work the queue: the screenshot, then a decision.
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let queue = try await browser.get("/console/impersonation")
            #expect(queue.text.contains("@Kefu_Support_Desk") && queue.text.contains(#"data-testid="impersonation-screenshot""#))
            let shot = try await browser.get("/console/impersonation/\(stored.id)/screenshot")
            #expect(shot.headers[.contentType] == "image/png" && Array(buffer: shot.body) == Self.png)
            let csrf = try #require(ConsoleBrowser.csrf(in: queue.text))
            let dismissed = try await browser.post("/console/impersonation/\(stored.id)", ["_csrf": csrf, "status": "dismissed"])
            #expect(dismissed.status == .seeOther)
            #expect(try await app.store.impersonationReport(id: stored.id)?.status == .dismissed)
            let after = try await client.execute(uri: "/help/en/verify?value=%40kefu_support_desk", method: .get)
            #expect(after.text.contains("Customers reported this account as a fake 1 times."))
            // Reports never mark our own account: the verdict stays official and says nothing of them.
            let admin = try await client.login()
            #expect(try await client.json(.post, "/api/v1/help/official-channels", token: admin, body: #"{"kind":"telegram","value":"kefu_help"}"#).status == .created)
            app.throttleClock.advance(by: 7200)
            #expect(try await client.json(.post, "/api/v1/help/impersonation-reports", body: #"{"place":"telegram","handle":"@kefu_help"}"#).status == .created)
            let official = try await client.execute(uri: "/help/en/verify?value=%40kefu_help", method: .get)
            #expect(official.text.contains(#"data-status="official""#) && !official.text.contains("reported this account"))
            // A note sent as UTF-16 is read as UTF-16, so its phrase is found.
            let phrase = "legal winner thank year wave sausage worth useful legal winner thank yellow"
            let boundary = "----kefu-utf16"
            var utf16Body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"place\"\r\n\r\nemail\r\n".utf8)
            utf16Body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"handle\"\r\n\r\nfake@example.com\r\n".utf8)
            utf16Body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\nContent-Type: text/plain; charset=utf-16le\r\n\r\n".utf8)
            utf16Body += Array(phrase.data(using: .utf16LittleEndian)!) + Array("\r\n--\(boundary)--\r\n".utf8)
            let utf16 = try await client.execute(
                uri: "/help/en/verify/report", method: .post, headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
                body: ByteBuffer(bytes: utf16Body))
            #expect(utf16.status == .seeOther)
            let notes = try await app.store.impersonationReports(status: nil, before: nil, limit: 20).map(\.note)
            #expect(notes.contains("[redacted: recovery phrase]") && !notes.joined().contains("sausage") && !notes.joined().contains("s\u{FFFD}"))
            // A note far over the limit is refused before anything reads it.
            let huge = String(repeating: "abandon ", count: 200_000)
            let big = try await client.json(.post, "/api/v1/help/impersonation-reports", body: #"{"place":"x","handle":"@a","note":"\#(huge)"}"#)
            #expect(big.code == "validation_failed")
            // The queue pages, newest first, without repeating a report.
            let firstPage = try await client.json(.get, "/api/v1/impersonation-reports?limit=2", token: admin)
            let cursor = try #require(firstPage.object["nextCursor"] as? String)
            let secondPage = try await client.json(.get, "/api/v1/impersonation-reports?limit=2&cursor=\(cursor)", token: admin)
            let ids = { (page: TestResponse) in ((page.object["items"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String } }
            #expect(ids(firstPage).count == 2 && ids(secondPage).count == 2 && Set(ids(firstPage)).isDisjoint(with: ids(secondPage)))
            #expect(try await client.json(.get, "/api/v1/impersonation-reports?cursor=nope", token: admin).code == "validation_failed")
            // Agents (not supervisors) have no queue.
            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            #expect(try await agent.get("/console/impersonation").status == .forbidden)
        }
    }
}
