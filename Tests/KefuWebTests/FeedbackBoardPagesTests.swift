import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import KefuMail
import KefuStore
import NIOCore
import Testing

@testable import KefuWeb

/// The community board as customers and agents use it in a browser: the help center's pages,
/// the console's, and the way between them.
@Suite struct FeedbackBoardPagesTests {
    static let password = "Board-pass-2026!"

    /// A wallet customer with a confirmed address, signed in through the board's own link.
    func customer(_ client: any TestClientProtocol, _ app: TestApp, _ email: String, verified: Bool = true, back path: String) async throws -> ConsoleBrowser {
        #expect(try await client.json(.post, "/api/v1/accounts", body: #"{"email":"\#(email)","password":"\#(Self.password)","locale":"en"}"#).status == .created)
        if verified, let account = try await app.store.accountCredentials(email: email)?.0 {
            try await app.store.markAccountEmailVerified(accountId: account.id, event: AccountEvent(kind: .emailVerified, createdAt: Date()))
        }
        var browser = ConsoleBrowser(client: client)
        let next = path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let page = try await browser.get("/account/login?next=\(next)")
        #expect(page.text.contains(#"name="next" value="\#(path)""#))
        let signedIn = try await browser.post(
            "/account/login", ["_csrf": try #require(ConsoleBrowser.csrf(in: page.text)), "email": email, "password": Self.password, "otp": "", "next": path])
        #expect(signedIn.status == .seeOther)
        #expect(signedIn.headers[.location] == path)
        // The session cookie goes to the whole site (the board reads it); an old /account one is cleared.
        let cookies = signedIn.headers[values: .setCookie].filter { $0.hasPrefix(AccountPagesController.sessionCookie + "=") }
        #expect(cookies.contains { $0.contains("Path=/;") || $0.hasSuffix("Path=/") })
        #expect(cookies.contains { $0.contains("Max-Age=0") && $0.contains("Path=/account") })
        return browser
    }

    static func number(fromLocation location: String?) -> Int64? {
        guard let location, let match = location.firstMatch(of: #/feedback/(\d+)/#) else { return nil }
        return Int64(match.output.1)
    }

    @Test func customersPostVoteAndCommentAsPlainTextAndAgentsAnswer() async throws {
        try await TestApp.run { client, app in
            var li = try await customer(client, app, "li@example.cn", back: "/help/en/feedback/new")
            let form = try await li.get("/help/en/feedback/new")
            #expect(form.status == .ok && form.headers[.cacheControl] == "private, no-store")
            let csrf = try #require(ConsoleBrowser.csrf(in: form.text))
            // Without the form's token nothing is stored.
            let forged = try await li.post("/help/en/feedback", ["kind": "suggestion", "title": "Forged title", "body": "x"])
            #expect(forged.status == .forbidden)
            // Bad text: the form again, with the problems in words and what was typed.
            let short = try await li.post("/help/en/feedback", ["_csrf": csrf, "kind": "suggestion", "title": "ab", "body": "kept text"])
            #expect(short.status == .badRequest || short.status == .unprocessableContent)
            #expect(short.text.contains("Title: at least 4 characters") && short.text.contains("kept text"))
            let created = try await li.post(
                "/help/en/feedback", ["_csrf": csrf, "kind": "problem", "title": "Dark <b>mode</b>", "body": "Line one\n<script>alert(1)</script>", "source": "widget"])
            #expect(created.status == .seeOther)
            let number = try #require(Self.number(fromLocation: created.headers[.location]))
            let post = try #require(try await app.store.feedbackPost(number: number))
            #expect(post.source == "widget" && post.kind == .problem && post.votes == 1)

            // Anyone reads it; what was written is text, never markup.
            var stranger = ConsoleBrowser(client: client)
            let page = try await stranger.get("/help/en/feedback/\(number)")
            #expect(page.status == .ok)
            #expect(page.text.contains("Dark &lt;b&gt;mode&lt;/b&gt;") && page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!page.text.contains("<script>alert(1)"))
            #expect(page.text.contains("/account/login?next=%2Fhelp%2Fen%2Ffeedback%2F\(number)"))
            #expect(!page.text.contains("data-testid=\"feedback-vote\""))
            let list = try await stranger.get("/help/zh-CN/feedback?order=newest&kind=problem")
            #expect(list.status == .ok && list.text.contains("data-number=\"\(number)\"") && list.text.contains("反馈社区"))
            #expect(try await stranger.get("/help/en/feedback?kind=suggestion").text.contains("data-number=\"\(number)\"") == false)
            #expect(try await stranger.get("/help/en/feedback?order=loudest").status == .badRequest)
            // Signed out, a form sends the browser to sign in and back.
            let anonymous = try await stranger.post("/help/en/feedback/\(number)/vote", ["vote": "on"])
            #expect(anonymous.status == .seeOther && anonymous.headers[.location]?.hasPrefix("/account/login?next=") == true)

            // Another customer votes (once, however often) and comments.
            var chen = try await customer(client, app, "chen@example.cn", back: "/help/en/feedback/\(number)")
            let postPage = try await chen.get("/help/en/feedback/\(number)")
            let token = try #require(ConsoleBrowser.csrf(in: postPage.text))
            for _ in 0..<3 { _ = try await chen.post("/help/en/feedback/\(number)/vote", ["_csrf": token, "vote": "on"]) }
            #expect(try await app.store.feedbackPost(number: number)?.votes == 2)
            #expect(try await chen.get("/help/en/feedback/\(number)").text.contains("data-testid=\"feedback-unvote\""))
            let comment = try await chen.post("/help/en/feedback/\(number)/comments", ["_csrf": token, "body": "Me too\nsince Monday"])
            #expect(comment.status == .seeOther && comment.headers[.location]?.contains("#comment-") == true)
            // Another customer's token does not pass.
            #expect(try await chen.post("/help/en/feedback/\(number)/vote", ["_csrf": csrf, "vote": "off"]).status == .forbidden)

            // An agent answers officially in the console; a supervisor sets the status, which mails the followers.
            var admin = ConsoleBrowser(client: client)
            try await admin.signIn()
            let consolePage = try await admin.get("/console/feedback/\(post.id)")
            #expect(consolePage.status == .ok && consolePage.text.contains("Dark &lt;b&gt;mode"))
            let consoleToken = try #require(ConsoleBrowser.csrf(in: consolePage.text))
            #expect(try await admin.post("/console/feedback/\(post.id)/answer", ["_csrf": consoleToken, "body": "We are looking into it."]).status == .seeOther)
            #expect(try await admin.post("/console/feedback/\(post.id)/status", ["_csrf": consoleToken, "status": "planned"]).status == .seeOther)
            let answered = try await stranger.get("/help/zh-CN/feedback/\(number)")
            #expect(answered.text.contains("官方回复") && answered.text.contains("We are looking into it.") && answered.text.contains("已计划"))
            let mail = try #require(try await Self.mailText(client, to: "chen@example.cn"))
            #expect(mail.contains("/help/en/feedback/\(number)") && mail.contains("Planned"))
        }
    }

    @Test func moderationMergesAndReportsFromTheConsole() async throws {
        try await TestApp.run { client, app in
            var li = try await customer(client, app, "li@example.cn", back: "/help/en/feedback/new")
            let csrf = try #require(ConsoleBrowser.csrf(in: try await li.get("/help/en/feedback/new").text))
            func create(_ title: String) async throws -> FeedbackPost {
                let response = try await li.post("/help/en/feedback", ["_csrf": csrf, "kind": "suggestion", "title": title, "body": "b"])
                let number = try #require(Self.number(fromLocation: response.headers[.location]))
                return try #require(try await app.store.feedbackPost(number: number))
            }
            let kept = try await create("Export to CSV")
            let duplicate = try await create("CSV export please")
            // A customer reports the duplicate; a supervisor sees and clears it.
            #expect(try await li.post("/help/en/feedback/\(duplicate.number)/report", ["_csrf": csrf, "reason": "spam"]).status == .seeOther)
            var admin = ConsoleBrowser(client: client)
            try await admin.signIn()
            let reports = try await admin.get("/console/feedback/reports")
            #expect(reports.text.contains("spam") && reports.text.contains("CSV export please"))
            let token = try #require(ConsoleBrowser.csrf(in: reports.text))
            let reportId = try #require(try await app.store.openFeedbackReports(limit: 5).first?.id)
            #expect(try await admin.post("/console/feedback/reports/\(reportId)/resolve", ["_csrf": token]).status == .seeOther)
            #expect(try await app.store.openFeedbackReports(limit: 5).isEmpty)
            // Merged by number: the duplicate's readers land on the kept post.
            #expect(try await admin.post("/console/feedback/\(duplicate.id)/merge", ["_csrf": token, "into": "#\(kept.number)"]).status == .seeOther)
            var stranger = ConsoleBrowser(client: client)
            let moved = try await stranger.get("/help/en/feedback/\(duplicate.number)")
            #expect(moved.status == .seeOther && moved.headers[.location] == "/help/en/feedback/\(kept.number)?merged=\(duplicate.number)")
            // Locked: no comment form, and a forged comment is refused in words; hidden: gone.
            #expect(try await admin.post("/console/feedback/\(kept.id)/moderate", ["_csrf": token, "locked": "1"]).status == .seeOther)
            let locked = try await li.post("/help/en/feedback/\(kept.number)/comments", ["_csrf": csrf, "body": "hello"])
            #expect(locked.status == .conflict && locked.text.contains("closed to new votes and comments"))
            #expect(try await admin.post("/console/feedback/\(kept.id)/moderate", ["_csrf": token, "hidden": "1"]).status == .seeOther)
            #expect(try await stranger.get("/help/en/feedback/\(kept.number)").status == .notFound)
            #expect(try await admin.get("/console/feedback").text.contains("Export to CSV"))
            // An agent may answer but not moderate.
            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            let agentToken = try #require(ConsoleBrowser.csrf(in: try await agent.get("/console/feedback").text))
            #expect(try await agent.post("/console/feedback/\(kept.id)/moderate", ["_csrf": agentToken, "hidden": "0"]).status == .forbidden)
        }
    }

    @Test func aConversationBecomesAPostOrLinksToOne() async throws {
        try await TestApp.run { client, app in
            let conversation = try await app.seedConversation(text: "希望支持导出 CSV")
            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            let page = try await agent.get("/console/conversations/\(conversation.id)")
            let token = try #require(ConsoleBrowser.csrf(in: page.text))
            let made = try await agent.post(
                "/console/conversations/\(conversation.id)/feedback-post", ["_csrf": token, "kind": "suggestion", "title": "CSV export", "body": "Asked in chat."])
            #expect(made.status == .seeOther && made.headers[.location]?.hasPrefix("/console/feedback/") == true)
            let post = try #require(try await app.store.feedbackPosts(linkedTo: conversation.id).first)
            #expect(post.source == "conversation" && post.title == "CSV export")
            let unknown = try await agent.post("/console/conversations/\(conversation.id)/feedback-link", ["_csrf": token, "number": "999"])
            #expect(unknown.headers[.location]?.contains("error=feedback_post_unknown") == true)
            let again = try await agent.get("/console/conversations/\(conversation.id)")
            #expect(again.text.contains("#\(post.number) CSV export"))
        }
    }

    /// What an outsider found on the pages: a planted second session cookie, a made-up merge
    /// banner, a form sent to a merged post vanishing, no Retry-After on "too many", a status
    /// the post had before mailing nobody, a conversation's post publishing the contact's name.
    @Test func outsidersFindingsOnThePages() async throws {
        try await TestApp.run { client, app in
            var li = try await customer(client, app, "li@example.cn", back: "/help/en/feedback/new")
            let csrf = try #require(ConsoleBrowser.csrf(in: try await li.get("/help/en/feedback/new").text))
            var numbers: [Int64] = []
            for title in ["Address labels", "Labels please"] {
                let made = try await li.post("/help/en/feedback", ["_csrf": csrf, "kind": "suggestion", "title": title, "body": "b"])
                numbers.append(try #require(Self.number(fromLocation: made.headers[.location])))
            }
            let kept = try #require(try await app.store.feedbackPost(number: numbers[0]))
            let duplicate = try #require(try await app.store.feedbackPost(number: numbers[1]))
            // Two session cookies (one planted with a narrower path): nobody is signed in.
            let session = try #require(li.cookies[AccountPagesController.sessionCookie])
            let twice = try await client.execute(
                uri: "/help/en/feedback/\(kept.number)", method: .get,
                headers: [.cookie: "\(AccountPagesController.sessionCookie)=planted; \(AccountPagesController.sessionCookie)=\(session)"], body: nil)
            #expect(twice.status == .ok && !String(buffer: twice.body).contains("feedback-comment-form"))
            #expect(try await li.get("/help/en/feedback/\(kept.number)").text.contains("feedback-comment-form"))
            // A banner only for a post that really was merged here.
            #expect(!(try await li.get("/help/en/feedback/\(kept.number)?merged=\(duplicate.number)").text.contains("feedback-flash")))
            _ = try await app.store.mergeFeedbackPost(
                postId: duplicate.id, into: kept.id, audit: AuditEvent(actor: .system, action: "test.merge", subjectKind: "feedback_post"))
            #expect(try await li.get("/help/en/feedback/\(kept.number)?merged=\(duplicate.number)").text.contains("feedback-flash"))
            // A comment sent to the merged post says why it was not taken.
            let late = try await li.post("/help/en/feedback/\(duplicate.number)/comments", ["_csrf": csrf, "body": "typed before the merge"])
            #expect(late.status == .conflict && late.text.contains("typed before the merge") && late.text.contains("closed"))
            // The hourly budget's page says when to come back.
            for index in 0..<20 {
                let response = try await li.post("/help/en/feedback/\(kept.number)/comments", ["_csrf": csrf, "body": "c\(index)"])
                if response.status == .tooManyRequests {
                    #expect(response.headers[.retryAfter] == "3600")
                    break
                }
                #expect(index < 9)
            }
            // planned → in progress → planned: a mail for each change.
            var admin = ConsoleBrowser(client: client)
            try await admin.signIn()
            let token = try #require(ConsoleBrowser.csrf(in: try await admin.get("/console/feedback/\(kept.id)").text))
            for status in ["planned", "in_progress", "planned"] {
                #expect(try await admin.post("/console/feedback/\(kept.id)/status", ["_csrf": token, "status": status]).status == .seeOther)
            }
            let adminToken = try await client.login()
            let mails = try await Self.waitFor {
                let items = try await client.json(.get, "/api/v1/outbox", token: adminToken).object["items"] as? [[String: Any]] ?? []
                let mine = items.filter { ($0["recipients"] as? [String]) == ["li@example.cn"] && ($0["subject"] as? String ?? "").contains("#\(kept.number)") }
                return mine.count >= 3 ? mine : nil
            }
            #expect(mails.count == 3)

            // A conversation's post: never the contact's typed name; the customer only through a confirmed account.
            let conversation = try await app.seedConversation(text: "Please add CSV export")
            let contact = try #require(try await app.store.contact(id: conversation.contactId))
            let address = try #require(contact.email)
            #expect(try await client.json(.post, "/api/v1/accounts", body: #"{"email":"\#(address)","password":"\#(Self.password)"}"#).status == .created)
            let agentToken = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            let unconfirmed = try await client.json(
                .post, "/api/v1/conversations/\(conversation.id)/feedback-post", token: agentToken,
                body: #"{"kind":"suggestion","title":"CSV export","body":"Asked in chat."}"#)
            #expect(unconfirmed.status == .created)
            #expect(unconfirmed.object["authorName"] as? String == "Agent")
            let account = try #require(try await app.store.accountCredentials(email: address)?.0)
            try await app.store.markAccountEmailVerified(accountId: account.id, event: AccountEvent(kind: .emailVerified, createdAt: Date()))
            let confirmed = try await client.json(
                .post, "/api/v1/conversations/\(conversation.id)/feedback-post", token: agentToken,
                body: #"{"kind":"suggestion","title":"CSV export 2","body":"Asked in chat."}"#)
            #expect(confirmed.object["authorName"] as? String == String(address.prefix(3)) + "***")
            #expect(confirmed.object["votes"] as? Int == 1)
            #expect(!String(describing: confirmed.object).contains(contact.name ?? "李伟"))
        }
    }

    static func waitFor<T>(_ probe: () async throws -> T?) async throws -> T {
        for _ in 0..<100 {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CancellationError()
    }

    /// A sign-in goes back only to this site's board or account pages.
    @Test func signInReturnsOnlyToOwnPages() {
        #expect(AccountPagesController.returnPath("/help/en/feedback/12") == "/help/en/feedback/12")
        #expect(AccountPagesController.returnPath("/help/zh-CN/feedback/new?from=widget") == "/help/zh-CN/feedback/new?from=widget")
        #expect(AccountPagesController.returnPath("//evil.example/help/") == nil)
        #expect(AccountPagesController.returnPath("https://evil.example") == nil)
        #expect(AccountPagesController.returnPath("/console") == nil)
        #expect(AccountPagesController.returnPath("/help/../console") == nil)
        #expect(AccountPagesController.returnPath("/help/\\evil") == nil)
        #expect(AccountPagesController.returnPath("/help/en/%0d%0aSet-Cookie:x") == nil)
        #expect(AccountPagesController.returnPath(nil) == nil)
        #expect(AccountPagesController.returnPath("/help/%2e%2e/%2e%2e/console/feedback") == nil)
        #expect(AccountPagesController.returnPath("/help/.%2e/api/v1/me") == nil)
    }

    /// The text of the first queued mail to `address` (the outbox, as an admin reads it).
    static func mailText(_ client: any TestClientProtocol, to address: String) async throws -> String? {
        let admin = try await client.login()
        for _ in 0..<50 {
            let outbox = try await client.json(.get, "/api/v1/outbox", token: admin).object["items"] as? [[String: Any]] ?? []
            if let mail = outbox.first(where: { ($0["recipients"] as? [String]) == [address] }) {
                let raw = try await client.json(.get, "/api/v1/outbox/\(mail["id"] as? String ?? "")/raw", token: admin).text
                return ParsedMail.parse(Array(raw.utf8)).text
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}

/// What the widget shows a customer of a stored marker: their own language's words.
@Suite struct WidgetMarkerTests {
    @Test func theMarkerReadsInTheCustomersLanguage() throws {
        let message = Message(
            id: MessageID(rawValue: "m"), conversationId: ConversationID(rawValue: "c"), seq: 3, direction: .incoming, author: .system,
            text: "我的助记词是 [redacted: recovery phrase]", attachments: [], channelMessageId: nil, clientMessageId: nil, createdAt: Date())
        guard case .message(let frame)? = WidgetFrame.customerFrame(for: message, locale: .zhCN, agent: { _ in nil }) else {
            Issue.record("no message frame")
            return
        }
        #expect(frame.text == "我的助记词是 [已删除助记词]")
        guard case .message(let english)? = WidgetFrame.customerFrame(for: message, locale: .en, agent: { _ in nil }) else { return }
        #expect(english.text == "我的助记词是 [recovery phrase removed]")
    }
}

/// A file name is text too: a key in it is never stored.
@Suite struct UploadSecretTests {
    @Test func aKeyInAnUploadsFileNameIsTakenOut() async throws {
        try await TestApp.run { client, _ in
            let token = try await client.login()
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 32)
            let response = try await client.execute(
                uri: "/api/v1/attachments?filename=5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ.png", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "image/png"], body: ByteBuffer(bytes: png))
            #expect(response.status == .created)
            let body = String(buffer: response.body)
            #expect(!body.contains("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"))
            #expect(body.contains("private key"))
        }
    }
}
