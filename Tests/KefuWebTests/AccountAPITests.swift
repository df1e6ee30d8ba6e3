import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KefuCore
import KefuMail
import KefuStore
import NIOCore
import Testing

@testable import KefuAccounts
@testable import KefuWeb

@Suite struct AccountAPITests {
    /// The link in the newest queued mail to `address` (tests run no outbox sender).
    func link(_ client: any TestClientProtocol, to address: String, path: String) async throws -> String {
        let admin = try await client.login()
        for _ in 0..<50 {
            let outbox = try await client.json(.get, "/api/v1/outbox", token: admin).object["items"] as? [[String: Any]] ?? []
            for mail in outbox where (mail["recipients"] as? [String]) == [address] {
                let raw = try await client.json(.get, "/api/v1/outbox/\(mail["id"] as? String ?? "")/raw", token: admin).text
                let text = ParsedMail.parse(Array(raw.utf8)).text
                if let match = text.firstMatch(of: try Regex("\(path)\\?token=([A-Za-z0-9_-]+)")) {
                    return String(match.output[1].substring ?? "")
                }
            }
            try await Task.sleep(for: .milliseconds(50))  // a reset mail is queued just after the answer
        }
        throw TestFailure("no mail with \(path) for \(address)")
    }

    @Test func registerVerifyLogInAndNothingTellsWhoHasAnAccount() async throws {
        try await TestApp.run { client, _ in
            let weak = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"li.wei@example.cn","password":"li.wei"}"#)
            #expect(weak.code == "validation_failed")
            let codes = (weak.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(codes == ["password_too_short", "password_needs_digit", "password_contains_email"])  // "." is a symbol
            #expect((weak.object["detail"] as? String)?.contains("too short; needs a digit") == true)

            let body = #"{"email":"li.wei@example.cn","password":"钱包-Secure-2026!","locale":"zh-CN"}"#
            let created = try await client.json(.post, "/api/v1/accounts", body: body)
            #expect(created.status == .created)
            #expect(created.object["emailVerified"] as? Bool == false)
            // The same address again: the same kind of answer (the owner is told by mail).
            let again = try await client.json(.post, "/api/v1/accounts", body: body)
            #expect(again.status == .created)
            #expect(Set(again.object.keys) == Set(created.object.keys))
            #expect(again.object["id"] as? String != created.object["id"] as? String)

            let token = try await link(client, to: "li.wei@example.cn", path: "/account/verify")
            #expect(try await client.json(.post, "/api/v1/accounts/verify", body: #"{"token":"\#(token)"}"#).status == .ok)
            #expect(try await client.json(.post, "/api/v1/accounts/verify", body: #"{"token":"\#(token)"}"#).code == "invalid_token")

            let wrong = try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"li.wei@example.cn","password":"nope-nope-1!"}"#)
            let unknown = try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"ghost@example.cn","password":"nope-nope-1!"}"#)
            #expect(wrong.code == "invalid_credentials" && unknown.code == "invalid_credentials")
            #expect(wrong.text == unknown.text)
            let login = try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"LI.WEI@example.cn","password":"钱包-Secure-2026!"}"#)
            let session = try #require(login.object["token"] as? String)
            let me = try await client.json(.get, "/api/v1/accounts/me", token: session)
            #expect(me.object["email"] as? String == "li.wei@example.cn")
            #expect(me.object["emailVerified"] as? Bool == true)
            // An agent token is not a customer token, and the reverse.
            #expect(try await client.json(.get, "/api/v1/me", token: session).code == "unauthenticated")
            #expect(try await client.json(.delete, "/api/v1/accounts/sessions/current", token: session).status == .ok)
            #expect(try await client.json(.get, "/api/v1/accounts/me", token: session).code == "unauthenticated")
        }
    }

    @Test func aPasswordResetWorksOnceEndsSessionsAndPausesWithdrawals() async throws {
        try await TestApp.run { client, app in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"chen@example.cn","password":"Original-pass-2026!"}"#)
            let login = try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"chen@example.cn","password":"Original-pass-2026!"}"#)
            let session = try #require(login.object["token"] as? String)

            let known = try await client.json(.post, "/api/v1/accounts/password-reset", body: #"{"email":"chen@example.cn"}"#)
            let unknown = try await client.json(.post, "/api/v1/accounts/password-reset", body: #"{"email":"nobody@example.cn"}"#)
            #expect(known.status == .accepted && unknown.status == .accepted)
            #expect(known.text == unknown.text)

            let token = try await link(client, to: "chen@example.cn", path: "/account/reset")
            let reused = try await client.json(
                .post, "/api/v1/accounts/password-reset/confirm", body: #"{"token":"\#(token)","password":"Original-pass-2026!"}"#)
            #expect((reused.object["errors"] as? [[String: Any]])?.first?["code"] as? String == "password_reused")
            let common = try await client.json(.post, "/api/v1/accounts/password-reset/confirm", body: #"{"token":"\#(token)","password":"password"}"#)
            #expect(Set((common.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }).contains("password_common"))

            // 50 confirms at once: exactly one sets the password.
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await client.json(
                            .post, "/api/v1/accounts/password-reset/confirm", body: #"{"token":"\#(token)","password":"Brand-new-pass-\#(index)!"}"#
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .badRequest }.count == 49)

            #expect(try await client.json(.get, "/api/v1/accounts/me", token: session).code == "unauthenticated")
            let account = try #require(try await app.store.accountCredentials(email: "chen@example.cn")?.0)
            let lock = try #require(account.withdrawalsLockedUntil)
            #expect(lock.timeIntervalSinceNow > 23 * 3600)
            #expect(try await app.store.accountEvents(accountId: account.id, limit: 10).first?.kind == .passwordChanged)
        }
    }
}

@Suite struct AccountTwoFactorTests {
    func secret(from uri: String) throws -> String { try TOTPTestSupport.secret(fromURI: uri) }

    @Test func enrolLogInOnceAndRecover() async throws {
        try await TestApp.run { client, app in
            let password = "Two-factor-pass-2026!"
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"zhao@example.cn","password":"\#(password)"}"#)
            let session = try #require(
                try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"zhao@example.cn","password":"\#(password)"}"#)
                    .object["token"] as? String)
            let setup = try await client.json(.post, "/api/v1/accounts/me/2fa/setup", token: session)
            #expect((setup.object["qrSvg"] as? String)?.hasPrefix("<svg") == true)
            let secret = try secret(from: try #require(setup.object["otpauthUri"] as? String))
            let totp = TOTPService()
            let now = TOTPService.step(at: Date())
            #expect(try await client.json(.post, "/api/v1/accounts/me/2fa/confirm", token: session, body: #"{"code":"000000"}"#).code == "invalid_otp")
            let confirmed = try await client.json(
                .post, "/api/v1/accounts/me/2fa/confirm", token: session, body: #"{"code":"\#(totp.code(secret: secret, step: now))"}"#)
            let recovery = try #require(confirmed.object["recoveryCodes"] as? [String])
            #expect(recovery.count == 10 && Set(recovery).count == 10)
            let account = try #require(try await app.store.accountCredentials(email: "zhao@example.cn")?.0)
            #expect(account.totpEnabled)
            #expect((account.withdrawalsLockedUntil?.timeIntervalSinceNow ?? 0) > 23 * 3600)

            // Without the code, or with the code that confirmed enrolment: the same refusal.
            let login = #"{"email":"zhao@example.cn","password":"\#(password)""#
            #expect(try await client.json(.post, "/api/v1/accounts/sessions", body: login + "}").code == "invalid_credentials")
            let replay = try await client.json(.post, "/api/v1/accounts/sessions", body: login + #","otp":"\#(totp.code(secret: secret, step: now))"}"#)
            #expect(replay.code == "invalid_credentials")
            // 50 logins at once with the next code: exactly one gets in.
            let next = totp.code(secret: secret, step: now + 1)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        try await client.json(.post, "/api/v1/accounts/sessions", body: login + #","otp":"\#(next)"}"#).status == .ok
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
        }
    }

    @Test func aResetNeedsTheSecondFactorAndRecoveryCodesWorkOnce() async throws {
        try await TestApp.run { client, app in
            let password = "Recover-me-2026!"
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"sun@example.cn","password":"\#(password)"}"#)
            let session = try #require(
                try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"sun@example.cn","password":"\#(password)"}"#)
                    .object["token"] as? String)
            let setup = try await client.json(.post, "/api/v1/accounts/me/2fa/setup", token: session)
            let secret = try TOTPTestSupport.secret(fromURI: setup.object["otpauthUri"] as? String ?? "")
            let code = TOTPService().code(secret: secret, step: TOTPService.step(at: Date()))
            let recovery = try #require(
                try await client.json(.post, "/api/v1/accounts/me/2fa/confirm", token: session, body: #"{"code":"\#(code)"}"#)
                    .object["recoveryCodes"] as? [String])

            _ = try await client.json(.post, "/api/v1/accounts/password-reset", body: #"{"email":"sun@example.cn"}"#)
            let token = try await AccountAPITests().link(client, to: "sun@example.cn", path: "/account/reset")
            let noCode = try await client.json(
                .post, "/api/v1/accounts/password-reset/confirm", body: #"{"token":"\#(token)","password":"Another-secret-77!"}"#)
            #expect(noCode.code == "invalid_otp")
            let withRecovery = try await client.json(
                .post, "/api/v1/accounts/password-reset/confirm",
                body: #"{"token":"\#(token)","password":"Another-secret-77!","otp":"\#(recovery[0].uppercased())"}"#)
            #expect(withRecovery.status == .ok)
            // That recovery code is spent; another one logs in.
            let spent = try await client.json(
                .post, "/api/v1/accounts/sessions", body: #"{"email":"sun@example.cn","password":"Another-secret-77!","otp":"\#(recovery[0])"}"#)
            #expect(spent.code == "invalid_credentials")
            let fresh = try await client.json(
                .post, "/api/v1/accounts/sessions", body: #"{"email":"sun@example.cn","password":"Another-secret-77!","otp":"\#(recovery[1])"}"#)
            let newSession = try #require(fresh.object["token"] as? String)
            let accountId = try #require(try await app.store.accountCredentials(email: "sun@example.cn")?.0.id)
            #expect(try await app.store.remainingRecoveryCodes(accountId: accountId) == 8)
            // Turning 2FA off takes the password and a code.
            let wrong = try await client.json(
                .post, "/api/v1/accounts/me/2fa/disable", token: newSession, body: #"{"password":"Another-secret-77!","code":"000000"}"#)
            #expect(wrong.code == "invalid_credentials")
            let off = try await client.json(
                .post, "/api/v1/accounts/me/2fa/disable", token: newSession, body: #"{"password":"Another-secret-77!","code":"\#(recovery[2])"}"#)
            #expect(off.status == .ok)
            #expect(try await app.store.account(id: accountId)?.totpEnabled == false)
        }
    }
}

@Suite struct AccountDeviceTests {
    func login(_ client: any TestClientProtocol, agent userAgent: String) async throws -> String {
        let response = try await client.json(
            .post, "/api/v1/accounts/sessions", body: #"{"email":"qian@example.cn","password":"Device-pass-2026!"}"#,
            headers: [.userAgent: userAgent])
        return try #require(response.object["token"] as? String)
    }

    /// `<` in an anti-phishing code was refused as `too_long`: the code now says what is wrong,
    /// in the caller's language.
    @Test func antiPhishingCodesWithForbiddenCharactersAreRefusedForThem() async throws {
        try await TestApp.run { client, _ in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"qian@example.cn","password":"Device-pass-2026!","locale":"zh-CN"}"#)
            let token = try await login(client, agent: "Firefox on Linux")
            func problem(_ code: String, language: String) async throws -> (String?, [String], String) {
                let body = String(decoding: try JSONEncoder().encode(["code": code]), as: UTF8.self)
                let response = try await client.json(
                    .put, "/api/v1/accounts/me/anti-phishing-code", token: token, body: body, headers: [.acceptLanguage: language])
                let codes = (response.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
                return (response.code, codes, response.object["detail"] as? String ?? "")
            }
            let markup = try await problem("<b>", language: "en")
            #expect(markup.0 == "validation_failed" && markup.1 == ["invalid_characters"])
            #expect(markup.2.contains("no <, >, control or text-direction characters"))
            let zh = try await problem("蓝\u{202E}海", language: "zh-CN")
            #expect(zh.1 == ["invalid_characters"] && zh.2.contains("不能包含"))
            #expect(try await problem(String(repeating: "码", count: 21), language: "en").1 == ["too_long"])
            // Spaces alone mean no code, as an empty field does.
            let cleared = try await client.json(.put, "/api/v1/accounts/me/anti-phishing-code", token: token, body: #"{"code":"   "}"#)
            #expect(cleared.status == .ok && cleared.object["antiPhishingCode"] == nil)
        }
    }

    @Test func sessionsAreListedRevokedAndANewDeviceCanBeDisowned() async throws {
        try await TestApp.run { client, app in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"qian@example.cn","password":"Device-pass-2026!","locale":"zh-CN"}"#)
            let laptop = try await login(client, agent: "Firefox on Linux")
            let codeSet = try await client.json(.put, "/api/v1/accounts/me/anti-phishing-code", token: laptop, body: #"{"code":"青山-42"}"#)
            #expect(codeSet.object["antiPhishingCode"] as? String == "青山-42")
            #expect(try await client.json(.put, "/api/v1/accounts/me/anti-phishing-code", token: laptop, body: #"{"code":"<script>"}"#).code
                == "validation_failed")
            _ = try await login(client, agent: "Firefox on Linux")  // the same device: no notice
            let phone = try await login(client, agent: "Safari on iPhone")

            let sessions = try await client.json(.get, "/api/v1/accounts/me/sessions", token: phone).object["items"] as? [[String: Any]] ?? []
            #expect(sessions.count == 3)
            #expect(sessions.filter { $0["current"] as? Bool == true }.map { $0["userAgent"] as? String } == ["Safari on iPhone"])

            // The new device was announced by mail (with the anti-phishing code on top).
            let link = try await AccountAPITests().link(client, to: "qian@example.cn", path: "/account/wasnt-me")
            let admin = try await client.login()
            let outbox = try await client.json(.get, "/api/v1/outbox", token: admin).object["items"] as? [[String: Any]] ?? []
            // Only the phone was new (the laptop signing in again, from the same unknown address, is not).
            #expect(outbox.filter { ($0["subject"] as? String) == "新设备登录提醒" }.count == 1)
            let notice = try #require(outbox.first { ($0["subject"] as? String) == "新设备登录提醒" })
            let raw = try await client.json(.get, "/api/v1/outbox/\(notice["id"] as? String ?? "")/raw", token: admin).text
            #expect(ParsedMail.parse(Array(raw.utf8)).text.hasPrefix("您的防钓鱼码：青山-42"))

            // Revoke one, then the others.
            let laptopSession = try #require(sessions.first { $0["userAgent"] as? String == "Firefox on Linux" }?["id"] as? String)
            #expect(try await client.json(.delete, "/api/v1/accounts/me/sessions/\(laptopSession)", token: phone).status == .ok)
            #expect(try await client.json(.delete, "/api/v1/accounts/me/sessions/\(laptopSession)", token: phone).code == "session_not_found")
            #expect(try await client.json(.post, "/api/v1/accounts/me/sessions/revoke-others", token: phone).status == .ok)
            #expect((try await client.json(.get, "/api/v1/accounts/me/sessions", token: phone).object["items"] as? [[String: Any]])?.count == 1)

            // "This wasn't me": every session ends, withdrawals freeze, and the link works once.
            #expect(try await client.json(.post, "/api/v1/accounts/wasnt-me", body: #"{"token":"\#(link)"}"#).status == .ok)
            #expect(try await client.json(.get, "/api/v1/accounts/me", token: phone).code == "unauthenticated")
            let account = try #require(try await app.store.accountCredentials(email: "qian@example.cn")?.0)
            #expect((account.withdrawalsLockedUntil?.timeIntervalSinceNow ?? 0) > 6 * 86400)
            #expect(try await client.json(.post, "/api/v1/accounts/wasnt-me", body: #"{"token":"\#(link)"}"#).code == "invalid_token")
            let kinds = try await app.store.accountEvents(accountId: account.id, limit: 20).map(\.kind)
            #expect(kinds.contains(.newDevice) && kinds.contains(.wasntMe) && kinds.contains(.antiPhishingChanged))
        }
    }
}

@Suite struct AgentAccountActionsTests {
    @Test func agentsSeeTheAccountAndCanSendAResetLinkOrSignEveryoneOut() async throws {
        try await TestApp.run { client, app in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"zhou@example.cn","password":"Customer-pass-2026!","locale":"zh-CN"}"#)
            let customer = try #require(
                try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"zhou@example.cn","password":"Customer-pass-2026!"}"#)
                    .object["token"] as? String)
            let account = try #require(try await app.store.accountCredentials(email: "zhou@example.cn")?.0)
            let inbox = try await app.store.createInbox(name: "Web", kind: .webchat, audit: nil)
            let conversation = try await app.store.createConversation(inboxId: inbox.id, contactId: try #require(account.contactId), subject: "忘记密码")

            var browser = ConsoleBrowser(client: client)
            try await browser.signIn(TestApp.agentEmail, TestApp.agentPassword)
            let page = try await browser.get("/console/conversations/\(conversation.id)")
            #expect(page.text.contains(#"data-testid="customer-account""#))
            #expect(page.text.contains("zhou@example.cn"))
            let csrf = try #require(ConsoleBrowser.csrf(in: page.text))

            let sent = try await browser.post("/console/conversations/\(conversation.id)/account/reset-link", ["_csrf": csrf])
            #expect(sent.status == .seeOther)
            _ = try await AccountAPITests().link(client, to: "zhou@example.cn", path: "/account/reset")
            let revoked = try await browser.post("/console/conversations/\(conversation.id)/account/revoke-sessions", ["_csrf": csrf])
            #expect(revoked.status == .seeOther)
            #expect(try await client.json(.get, "/api/v1/accounts/me", token: customer).code == "unauthenticated")
            let actions = try await app.store.auditEntries(before: nil, limit: 5).map(\.action)
            #expect(actions.contains("account.reset_link_sent") && actions.contains("account.sessions_revoked"))
            // Without the form's token nothing happens.
            #expect(try await browser.post("/console/conversations/\(conversation.id)/account/revoke-sessions", ["_csrf": "forged"]).status == .forbidden)
        }
    }
}

@Suite struct AccountEmailChangeTests {
    @Test func theNewAddressConfirmsAndTheOldOneIsTold() async throws {
        try await TestApp.run { client, app in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"old@example.cn","password":"Email-change-2026!"}"#)
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"taken@example.cn","password":"Email-change-2026!"}"#)
            let session = try #require(
                try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"old@example.cn","password":"Email-change-2026!"}"#)
                    .object["token"] as? String)
            let wrong = try await client.json(.post, "/api/v1/accounts/me/email", token: session, body: #"{"email":"new@example.cn","password":"nope"}"#)
            #expect(wrong.code == "invalid_credentials")
            let asked = try await client.json(
                .post, "/api/v1/accounts/me/email", token: session, body: #"{"email":"New@Example.cn","password":"Email-change-2026!"}"#)
            #expect(asked.status == .accepted)
            let token = try await AccountAPITests().link(client, to: "new@example.cn", path: "/account/email")
            #expect(try await client.json(.post, "/api/v1/accounts/email/confirm", body: #"{"token":"\#(token)"}"#).status == .ok)
            #expect(try await client.json(.post, "/api/v1/accounts/email/confirm", body: #"{"token":"\#(token)"}"#).code == "invalid_token")
            // The old address hears of it, with the way to stop an attacker.
            _ = try await AccountAPITests().link(client, to: "old@example.cn", path: "/account/wasnt-me")
            let account = try #require(try await app.store.accountCredentials(email: "new@example.cn")?.0)
            #expect(account.emailVerified)
            #expect((account.withdrawalsLockedUntil?.timeIntervalSinceNow ?? 0) > 23 * 3600)
            #expect(try await app.store.contact(id: try #require(account.contactId))?.email == "new@example.cn")
            #expect(try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"new@example.cn","password":"Email-change-2026!"}"#)
                .status == .ok)
            // An address another account has: refused at confirmation, nothing changes.
            _ = try await client.json(.post, "/api/v1/accounts/me/email", token: session, body: #"{"email":"taken@example.cn","password":"Email-change-2026!"}"#)
            let second = try await AccountAPITests().link(client, to: "taken@example.cn", path: "/account/email")
            #expect(try await client.json(.post, "/api/v1/accounts/email/confirm", body: #"{"token":"\#(second)"}"#).code == "account_conflict")
            #expect(try await app.store.account(id: account.id)?.email == "new@example.cn")
        }
    }
}
