import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import KefuStore
import Testing

@testable import KefuAccounts
@testable import KefuWeb

/// The customer's /account pages as a browser uses them (issue 11, items 8 and 12).
@Suite struct AccountPagesTests {
    static let password = "Pages-pass-2026!"

    func register(_ client: any TestClientProtocol, _ email: String) async throws {
        let body = #"{"email":"\#(email)","password":"\#(Self.password)","locale":"en"}"#
        #expect(try await client.json(.post, "/api/v1/accounts", body: body).status == .created)
    }

    /// Signs in through the page, as a browser does: the form's token, then the session cookie.
    func signIn(_ browser: inout ConsoleBrowser, _ email: String) async throws {
        let page = try await browser.get("/account/login")
        let token = try #require(ConsoleBrowser.csrf(in: page.text))
        let response = try await browser.post("/account/login", ["_csrf": token, "email": email, "password": Self.password, "otp": ""])
        #expect(response.status == .seeOther && response.headers[.location] == "/account")
        #expect(browser.cookies[AccountPagesController.sessionCookie] != nil)
    }

    /// A mail scanner or link preview opening the link changes nothing: the page's button does.
    @Test func mailedLinksOpenAPageAndOnlyItsButtonActs() async throws {
        try await TestApp.run { client, app in
            try await register(client, "ma@example.cn")
            let verify = try await AccountAPITests().link(client, to: "ma@example.cn", path: "/account/verify")
            var scanner = ConsoleBrowser(client: client)
            let verifyPage = try await scanner.get("/account/verify?token=\(verify)", language: "zh-CN")
            #expect(verifyPage.status == .ok && verifyPage.text.contains("验证邮箱") && verifyPage.text.contains(#"action="/account/verify""#))
            #expect(verifyPage.text.contains(#"name="token" value="\#(verify)""#))
            #expect(try await app.store.accountCredentials(email: "ma@example.cn")?.0.emailVerified == false)
            var owner = ConsoleBrowser(client: client)
            let page = try await owner.get("/account/verify?token=\(verify)")
            #expect(page.text.contains("Verify my email"))
            let csrf = try #require(ConsoleBrowser.csrf(in: page.text))
            let verified = try await owner.post("/account/verify", ["_csrf": csrf, "token": verify])
            #expect(verified.status == .ok && verified.text.contains("Your email is verified"))
            #expect(try await app.store.accountCredentials(email: "ma@example.cn")?.0.emailVerified == true)

            // The email change: the new address's link shows a page; the change waits for its button.
            let session = try #require(
                try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"ma@example.cn","password":"\#(Self.password)"}"#)
                    .object["token"] as? String)
            let asked = try await client.json(
                .post, "/api/v1/accounts/me/email", token: session, body: #"{"email":"ma.new@example.cn","password":"\#(Self.password)"}"#)
            #expect(asked.status == .accepted)
            let change = try await AccountAPITests().link(client, to: "ma.new@example.cn", path: "/account/email")
            let preview = try await scanner.get("/account/email?token=\(change)", language: "zh-CN")
            #expect(preview.status == .ok && preview.text.contains("确认新的登录邮箱") && preview.text.contains(#"action="/account/email""#))
            #expect(try await scanner.get("/account/email?token=\(change)", language: "en").text.contains("Confirm your new sign-in email"))
            #expect(try await app.store.accountCredentials(email: "ma@example.cn") != nil)
            #expect(try await app.store.accountCredentials(email: "ma.new@example.cn") == nil)
            // The button's POST needs the page's token; with it, the change happens once.
            let confirmPage = try await owner.get("/account/email?token=\(change)")
            let confirmCSRF = try #require(ConsoleBrowser.csrf(in: confirmPage.text))
            #expect(try await owner.post("/account/email", ["_csrf": "forged", "token": change]).status == .forbidden)
            let changed = try await owner.post("/account/email", ["_csrf": confirmCSRF, "token": change])
            #expect(changed.status == .ok && changed.text.contains("Your sign-in email is changed"))
            #expect(try await app.store.accountCredentials(email: "ma.new@example.cn") != nil)
            #expect(try await owner.post("/account/email", ["_csrf": confirmCSRF, "token": change]).status == .badRequest)
        }
    }

    /// The account pages' CSRF token belongs to the session: another session's token, the
    /// double-submit cookie and the pre-sign-in token are all refused once signed in.
    @Test func theCSRFTokenIsBoundToTheSession() async throws {
        try await TestApp.run { client, app in
            try await register(client, "csrf@example.cn")
            var laptop = ConsoleBrowser(client: client)
            let loginPage = try await laptop.get("/account/login")
            let preLogin = try #require(ConsoleBrowser.csrf(in: loginPage.text))
            #expect(laptop.cookies[AccountPagesController.csrfCookie] == preLogin)  // double-submit before sign-in
            try await signIn(&laptop, "csrf@example.cn")
            var phone = ConsoleBrowser(client: client)
            try await signIn(&phone, "csrf@example.cn")

            let laptopToken = try #require(ConsoleBrowser.csrf(in: try await laptop.get("/account").text))
            let phoneToken = try #require(ConsoleBrowser.csrf(in: try await phone.get("/account").text))
            #expect(laptopToken != phoneToken && laptopToken != preLogin)
            // Another session's token.
            #expect(try await phone.post("/account/anti-phishing", ["_csrf": laptopToken, "code": "stolen"]).status == .forbidden)
            // A cookie and a field that agree (what a planted cookie would look like).
            phone.cookies[AccountPagesController.csrfCookie] = "planted"
            #expect(try await phone.post("/account/anti-phishing", ["_csrf": "planted", "code": "planted"]).status == .forbidden)
            // The token of the sign-in page, from before the session.
            #expect(try await laptop.post("/account/anti-phishing", ["_csrf": preLogin, "code": "old"]).status == .forbidden)
            #expect(try await app.store.accountCredentials(email: "csrf@example.cn")?.0.antiPhishingCode == nil)

            let saved = try await phone.post("/account/anti-phishing", ["_csrf": phoneToken, "code": "蓝色海豚"])
            #expect(saved.status == .ok)
            #expect(try await app.store.accountCredentials(email: "csrf@example.cn")?.0.antiPhishingCode == "蓝色海豚")
            // A code with "<" is refused for its characters, in the page's words.
            let refused = try await phone.post("/account/anti-phishing", ["_csrf": phoneToken, "code": "<b>"])
            #expect(refused.text.contains("Use up to 20 characters without &lt;, &gt; or control characters."), "\(refused.text)")
            // And one too long for its length, with the limit.
            let long = try await phone.post("/account/anti-phishing", ["_csrf": phoneToken, "code": String(repeating: "码", count: 21)])
            #expect(long.text.contains("At most 20 characters."), "\(long.text)")

            // Signed out, the browser is back to a double-submit token of its own.
            #expect(try await laptop.post("/account/logout", ["_csrf": laptopToken]).status == .seeOther)
            let again = try await laptop.get("/account/login")
            let fresh = try #require(ConsoleBrowser.csrf(in: again.text))
            #expect(fresh != laptopToken && fresh == laptop.cookies[AccountPagesController.csrfCookie])
        }
    }

    /// The mails about an email change state the lock the operator configured.
    @Test func emailChangeMailsStateTheConfiguredWithdrawalLock() {
        for locale in ["en", "zh-CN"] {
            let confirm = AccountMails.confirmNewEmail(link: "https://x/l", lockHours: 48, locale: locale).text
            let changed = AccountMails.emailChanged(newEmail: "n@example.cn", link: "https://x/l", lockHours: 48, locale: locale).text
            for text in [confirm, changed] {
                #expect(text.contains(locale == "en" ? "48 hours" : "48 小时") && !text.contains("24 hours, ") && !text.contains("暂停 24"), "\(text)")
            }
        }
    }
}
