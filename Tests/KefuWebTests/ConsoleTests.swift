import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuAccounts
import KefuCore
import KefuStore
import KefuWeb
import NIOCore
import Testing

/// The console through HTTP, as a browser without JavaScript would use it.
struct ConsoleBrowser {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]

    mutating func remember(_ response: TestResponse) {
        for field in response.headers where field.name == .setCookie {
            // "name=" (a cleared cookie) keeps its empty value, which the header then leaves out.
            let pair = field.value.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            cookies[String(pair[0])] = String(pair[1])
        }
    }

    var cookieHeader: String { cookies.filter { !$0.value.isEmpty }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    mutating func get(_ uri: String, language: String = "en") async throws -> TestResponse {
        let response = try await client.execute(
            uri: uri, method: .get, headers: [.cookie: cookieHeader, .acceptLanguage: language], body: nil)
        remember(response)
        return response
    }

    /// `extra`: headers a browser adds (`Origin`, `Sec-Fetch-Site`, a forwarded address).
    mutating func post(_ uri: String, _ fields: [String: String], extra: HTTPFields = [:]) async throws -> TestResponse {
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        var headers: HTTPFields = [.cookie: cookieHeader, .contentType: "application/x-www-form-urlencoded"]
        headers.append(contentsOf: extra)
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
        remember(response)
        return response
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="_csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    mutating func signIn(_ email: String = TestApp.adminEmail, _ password: String = TestApp.adminPassword) async throws {
        let page = try await get("/console/login")
        let token = try #require(Self.csrf(in: page.text))
        let response = try await post("/console/login", ["_csrf": token, "email": email, "password": password])
        #expect(response.status == .seeOther)
    }
}

@Suite struct ConsoleTests {
    @Test func signedOutVisitorsGoToTheSignInPage() async throws {
        try await TestApp.run { client, _ in
            var browser = ConsoleBrowser(client: client)
            let response = try await browser.get("/console")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/console/login")
            let login = try await browser.get("/console/login", language: "zh-CN,zh;q=0.9")
            #expect(login.text.contains("登录客服工作台"))
            #expect(login.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
        }
    }

    @Test func signInShowsTheInboxAndSignOutEndsTheSession() async throws {
        try await TestApp.run { client, app in
            let conversation = try await app.seedConversation()
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            #expect(browser.cookies["kefu_session"]?.isEmpty == false)
            let inbox = try await browser.get("/console")
            #expect(inbox.status == .ok)
            #expect(inbox.text.contains("#\(conversation.number)"))
            let csrf = try #require(ConsoleBrowser.csrf(in: inbox.text))
            let out = try await browser.post("/console/logout", ["_csrf": csrf])
            #expect(out.headers[.location] == "/console/login")
            #expect(try await browser.get("/console").status == .seeOther)
        }
    }

    @Test func aWrongPasswordStaysOnTheSignInPage() async throws {
        try await TestApp.run { client, _ in
            var browser = ConsoleBrowser(client: client)
            let page = try await browser.get("/console/login")
            let response = try await browser.post(
                "/console/login", ["_csrf": ConsoleBrowser.csrf(in: page.text)!, "email": TestApp.adminEmail, "password": "wrong"])
            #expect(response.status == .unauthorized)
            #expect(response.text.contains("The email or password is incorrect."))
            #expect(browser.cookies["kefu_session"] == nil)
        }
    }

    @Test func formsWithoutTheCSRFTokenAreRefused() async throws {
        try await TestApp.run { client, app in
            let conversation = try await app.seedConversation()
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let forged = try await browser.post("/console/conversations/\(conversation.id)/messages", ["text": "forged", "_csrf": "nope"])
            #expect(forged.status == .forbidden)
            #expect(forged.headers[.contentType]?.hasPrefix("text/html") == true)
            let messages = try await app.store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(messages.count == 1)
            // Login itself is protected against login CSRF too.
            var stranger = ConsoleBrowser(client: client)
            let login = try await stranger.post("/console/login", ["email": TestApp.adminEmail, "password": TestApp.adminPassword])
            #expect(login.status == .forbidden)
        }
    }

    @Test func customerContentIsShownAsText() async throws {
        try await TestApp.run { client, app in
            let conversation = try await app.seedConversation(text: #"<script>alert(1)</script><img src=x onerror="alert(2)">"#)
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let page = try await browser.get("/console/conversations/\(conversation.id)")
            #expect(page.status == .ok)
            #expect(!page.text.contains("<script>alert(1)"))
            #expect(!page.text.contains("<img src=x"))
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        }
    }

    @Test func replyingResolvingAndAssigningFromTheConsole() async throws {
        try await TestApp.run { client, app in
            let conversation = try await app.seedConversation()
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let page = try await browser.get("/console/conversations/\(conversation.id)")
            let csrf = try #require(ConsoleBrowser.csrf(in: page.text))
            let reply = try await browser.post(
                "/console/conversations/\(conversation.id)/messages", ["_csrf": csrf, "text": "已为您处理", "client_message_id": "form-1"])
            #expect(reply.status == .seeOther)
            _ = try await browser.post(
                "/console/conversations/\(conversation.id)/messages", ["_csrf": csrf, "text": "已为您处理", "client_message_id": "form-1"])
            _ = try await browser.post("/console/conversations/\(conversation.id)/status", ["_csrf": csrf, "status": "resolved"])
            let agentId = try #require(try await app.store.credentials(email: TestApp.agentEmail)?.0.id)
            _ = try await browser.post("/console/conversations/\(conversation.id)/assign", ["_csrf": csrf, "assignee_id": agentId.rawValue])
            let stored = try #require(try await app.store.conversation(id: conversation.id))
            #expect(stored.status == .resolved)
            #expect(stored.assigneeId == agentId)
            let messages = try await app.store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(messages.filter { $0.text == "已为您处理" }.count == 1)
            let after = try await browser.get("/console/conversations/\(conversation.id)", language: "zh-CN")
            #expect(after.text.contains("状态: 已解决"))
        }
    }

    @Test func consoleTwoFactorEnrolmentAndTwoStepSignIn() async throws {
        try await TestApp.run { client, _ in
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn(TestApp.agentEmail, TestApp.agentPassword)
            let profile = try await browser.get("/console/profile")
            let csrf = try #require(ConsoleBrowser.csrf(in: profile.text))
            let setup = try await browser.post("/console/profile/2fa/setup", ["_csrf": csrf])
            #expect(setup.text.contains("<svg"))
            let key = try #require(setup.text.range(of: #"data-testid="manual-key">"#).map { String(setup.text[$0.upperBound...].prefix { $0 != "<" }) })
            let secret = try TOTPTestSupport.secret(fromURI: "otpauth://totp/x?secret=\(key.replacingOccurrences(of: " ", with: ""))")
            let step = TOTPService.step(at: Date())
            let confirm = try await browser.post("/console/profile/2fa/confirm", ["_csrf": csrf, "code": TOTPService().code(secret: secret, step: step)])
            #expect(confirm.headers[.location] == "/console/profile?flash=two_factor_enabled_flash")

            var fresh = ConsoleBrowser(client: client)
            let login = try await fresh.get("/console/login")
            let token = try #require(ConsoleBrowser.csrf(in: login.text))
            let first = try await fresh.post("/console/login", ["_csrf": token, "email": TestApp.agentEmail, "password": TestApp.agentPassword])
            #expect(first.headers[.location] == "/console/login/2fa")
            #expect(fresh.cookies["kefu_session"] == nil)
            let wrong = try await fresh.post("/console/login/2fa", ["_csrf": token, "code": "123456"])
            #expect(wrong.status == .unauthorized)
            let right = try await fresh.post("/console/login/2fa", ["_csrf": token, "code": TOTPService().code(secret: secret, step: step + 1)])
            #expect(right.headers[.location] == "/console")
            #expect(try await fresh.get("/console").status == .ok)
        }
    }

    @Test func changingThePasswordFromTheProfile() async throws {
        try await TestApp.run { client, _ in
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn(TestApp.agentEmail, TestApp.agentPassword)
            let profile = try await browser.get("/console/profile")
            let csrf = try #require(ConsoleBrowser.csrf(in: profile.text))
            let mismatch = try await browser.post(
                "/console/profile/password",
                ["_csrf": csrf, "current_password": TestApp.agentPassword, "new_password": "autumn rain on bamboo", "confirm_password": "other"])
            #expect(mismatch.headers[.location] == "/console/profile?error=error_password_mismatch")
            let short = try await browser.post(
                "/console/profile/password",
                ["_csrf": csrf, "current_password": TestApp.agentPassword, "new_password": "short", "confirm_password": "short"])
            #expect(short.headers[.location] == "/console/profile?error=error_password_too_short")
            let page = try await browser.get(short.headers[.location]!, language: "zh-CN")
            #expect(page.text.contains("新密码至少需要 12 个字符。"))
            let done = try await browser.post(
                "/console/profile/password",
                ["_csrf": csrf, "current_password": TestApp.agentPassword, "new_password": "autumn rain on bamboo",
                 "confirm_password": "autumn rain on bamboo"])
            #expect(done.headers[.location] == "/console/profile?flash=password_changed_flash")
            #expect(try await browser.get("/console").status == .ok)
            _ = try await client.login(TestApp.agentEmail, "autumn rain on bamboo")
        }
    }

    @Test func adminsInviteAndResetPasswordsFromTheAdminPage() async throws {
        try await TestApp.run { client, app in
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let admin = try await browser.get("/console/admin")
            let csrf = try #require(ConsoleBrowser.csrf(in: admin.text))
            let invited = try await browser.post("/console/admin/agents", ["_csrf": csrf, "email": "new.agent@kefu.test", "name": "New", "role": "agent"])
            #expect(invited.status == .ok)
            #expect(invited.text.contains(#"data-testid="one-time-password""#))
            let agentId = try #require(try await app.store.credentials(email: TestApp.agentEmail)?.0.id)
            let reset = try await browser.post("/console/admin/agents/\(agentId)/password-reset", ["_csrf": csrf])
            let marker = #"data-testid="one-time-password">"#
            let password = try #require(reset.text.range(of: marker).map { String(reset.text[$0.upperBound...].prefix { $0 != "<" }) })
            #expect(reset.text.contains("agent@kefu.test: "))
            _ = try await client.login(TestApp.agentEmail, password)
            let disabled = try await browser.post("/console/admin/agents/\(agentId)/status", ["_csrf": csrf, "status": "disabled"])
            #expect(disabled.headers[.location] == "/console/admin?flash=saved")
            #expect(try await app.store.agent(id: agentId)?.status == .disabled)
        }
    }

    @Test func theAgentFeedRefusesCookiesSentFromOtherSites() async throws {
        try await TestApp.run { client, _ in
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            for (origin, refused) in [("https://evil.example", true), ("http://kefu.evil.example", true), ("http://127.0.0.1:8080", false)] {
                let response = try await client.execute(
                    uri: "/api/v1/agent/ws", method: .get, headers: [.cookie: browser.cookieHeader, .origin: origin], body: nil)
                #expect((response.status == .forbidden) == refused, "\(origin)")
            }
        }
    }

    @Test func supervisorsManageCannedRepliesAndTheComposerOffersThem() async throws {
        try await TestApp.run { client, app in
            let conversation = try await app.seedConversation()
            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            #expect(try await agent.get("/console/canned").status == .forbidden)
            var admin = ConsoleBrowser(client: client)
            try await admin.signIn()
            let page = try await admin.get("/console/canned")
            let csrf = try #require(ConsoleBrowser.csrf(in: page.text))
            let added = try await admin.post("/console/canned", ["_csrf": csrf, "shortcut": "limits", "body": "一级认证每日 10,000 美元。"])
            #expect(added.headers[.location] == "/console/canned?flash=saved")
            let duplicate = try await admin.post("/console/canned", ["_csrf": csrf, "shortcut": "limits", "body": "again"])
            #expect(duplicate.headers[.location] == "/console/canned?error=error_canned_exists")
            let view = try await agent.get("/console/conversations/\(conversation.id)")
            #expect(view.text.contains("data-canned=\"[{&quot;body&quot;:&quot;一级认证每日 10,000 美元。&quot;,&quot;shortcut&quot;:&quot;limits&quot;}]\""))
        }
    }

    @Test func languageSwitchSticks() async throws {
        try await TestApp.run { client, _ in
            var browser = ConsoleBrowser(client: client)
            let switched = try await browser.get("/console/lang/zh-CN")
            #expect(switched.status == .seeOther)
            let page = try await browser.get("/console/login", language: "en")
            #expect(page.text.contains("lang=\"zh-CN\""))
            #expect(try await browser.get("/console/lang/fr").status == .notFound)
            // Signed in, the choice (the page's form, a POST) is kept on the agent and follows
            // them to a new browser; a GET (a link anyone can send) stores nothing.
            try await browser.signIn()
            _ = try await browser.get("/console/lang/zh-CN")
            var elsewhere = ConsoleBrowser(client: client)
            try await elsewhere.signIn()
            #expect(try await elsewhere.get("/console", language: "en").text.contains("lang=\"en\""))
            let signedInPage = try await browser.get("/console")
            #expect(signedInPage.text.contains(#"action="/console/lang/en""#))
            let csrf = try #require(ConsoleBrowser.csrf(in: signedInPage.text))
            #expect(try await browser.post("/console/lang/zh-CN", ["_csrf": "forged"]).status == .forbidden)
            #expect(try await browser.post("/console/lang/zh-CN", ["_csrf": csrf]).status == .seeOther)
            var third = ConsoleBrowser(client: client)
            try await third.signIn()
            let inbox = try await third.get("/console", language: "en")
            #expect(inbox.text.contains("lang=\"zh-CN\""))
        }
    }
}

@Suite struct TranslationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/KefuWeb/Resources")

    @Test func everyLanguageHasEveryStringTheTemplatesUse() throws {
        let catalog = Self.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("KefuLocalization/Resources/catalog")
        let en = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: catalog.appendingPathComponent("en.json")))
        let zh = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: catalog.appendingPathComponent("zh-CN.json")))
        #expect(Set(en.keys) == Set(zh.keys))
        #expect(zh.values.allSatisfy { !$0.isEmpty })
        let templates = Self.root.appendingPathComponent("templates")
        var used = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: templates.path) {
            let text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
            let regex = try Regex(#"\{\{t\.([a-z0-9_]+)\}\}"#)
            for match in text.matches(of: regex) { used.insert(String(text[match.range].dropFirst(4).dropLast(2))) }
        }
        #expect(!used.isEmpty)
        #expect(used.subtracting(en.keys).sorted() == [])
    }
}
