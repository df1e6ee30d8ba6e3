import Foundation
import HummingbirdTesting
import KefuAccounts
import KefuCore
import KefuMail
import KefuStore
import KefuWeb
import Testing

/// The supervised 2FA reset end to end through the console and the customer API: an agent asks,
/// a different supervisor approves, the customer is mailed and can cancel, the timer applies it.
@Suite struct TwoFactorResetTests {
    static let password = "Lost-phone-pass-2026!"
    static let supervisorEmail = "supervisor@kefu.test"
    static let supervisorPassword = "supervising passphrase"

    /// A customer with 2FA on, their conversation, and a supervisor besides the test app's agents.
    func customerWithTwoFactor(_ client: any TestClientProtocol, _ app: TestApp) async throws -> (account: Account, session: String, conversation: ConversationID) {
        let (session, _) = try await client.customerWithTOTP("sun@example.cn", password: Self.password, locale: "zh-CN")
        let account = try #require(try await app.store.accountCredentials(email: "sun@example.cn")?.0)
        let inbox = try await app.store.createInbox(name: "Web", kind: .webchat, audit: nil)
        let conversation = try await app.store.createConversation(inboxId: inbox.id, contactId: try #require(account.contactId), subject: "手机丢了")
        _ = try await AgentInvitation(store: app.store, hasher: PasswordHasher(cost: 4)).invite(
            email: Self.supervisorEmail, name: "Lan", role: .supervisor, password: Self.supervisorPassword, audit: nil)
        return (account, session, conversation.id)
    }

    func signedIn(_ client: any TestClientProtocol, _ email: String, _ password: String) async throws -> ConsoleBrowser {
        var browser = ConsoleBrowser(client: client)
        try await browser.signIn(email, password)
        return browser
    }

    /// Posts a console form from `page` (its CSRF token) and returns where it redirected.
    func submit(_ browser: inout ConsoleBrowser, from page: String, to action: String, _ fields: [String: String] = [:]) async throws -> String {
        let form = try await browser.get(page)
        let csrf = try #require(ConsoleBrowser.csrf(in: form.text))
        let response = try await browser.post(action, fields.merging(["_csrf": csrf]) { mine, _ in mine })
        #expect(response.status == .seeOther)
        return response.headers[.location] ?? ""
    }

    @Test func anAgentAsksASupervisorApprovesTheCustomerCancels() async throws {
        try await TestApp.run { client, app in
            let (account, session, conversation) = try await customerWithTwoFactor(client, app)
            let sidebar = "/console/conversations/\(conversation)"
            var agent = try await signedIn(client, TestApp.agentEmail, TestApp.agentPassword)
            let action = "\(sidebar)/account/two-factor-reset"
            #expect(try await submit(&agent, from: sidebar, to: action, ["reason": "short"]).hasSuffix("error=error_two_factor_reset_reason"))
            #expect(
                try await submit(&agent, from: sidebar, to: action, ["reason": "Video call; ID card and selfie match the KYC record."])
                    .hasSuffix("flash=two_factor_reset_requested"))
            // One open request per account.
            #expect(try await submit(&agent, from: sidebar, to: action, ["reason": "A second request for the same account"]).hasSuffix("error=error_two_factor_reset_taken"))
            let reset = try #require(try await app.store.latestTwoFactorReset(accountId: account.id))
            #expect(reset.status == .awaitingApproval)
            let page = try await agent.get(sidebar).text
            #expect(page.contains(#"data-testid="two-factor-reset" data-status="awaiting_approval""#))
            #expect(page.contains(#"data-testid="needs-other-supervisor""#))
            // An agent cannot decide, and the page is for supervisors.
            #expect(try await submit(&agent, from: sidebar, to: "/console/two-factor-resets/\(reset.id)/approve", ["return": sidebar]).hasSuffix("error=error_forbidden"))
            #expect(try await agent.get("/console/two-factor-resets").status == .forbidden)
            // The customer, signed in, sees that a request is under review (no staff names or reasons).
            let pending = try await client.json(.get, "/api/v1/accounts/me/2fa-reset", token: session)
            #expect(pending.object["status"] as? String == "awaiting_approval")
            #expect(!pending.text.contains("Video call"))

            var supervisor = try await signedIn(client, Self.supervisorEmail, Self.supervisorPassword)
            let list = try await supervisor.get("/console/two-factor-resets").text
            #expect(list.contains("sun@example.cn") && list.contains("Video call"))
            #expect(try await submit(&supervisor, from: "/console/two-factor-resets", to: "/console/two-factor-resets/\(reset.id)/approve")
                .hasSuffix("flash=two_factor_reset_approved"))
            let scheduled = try #require(try await app.store.twoFactorReset(id: reset.id))
            #expect(scheduled.status == .scheduled)
            #expect(abs((scheduled.appliesAt?.timeIntervalSinceNow ?? 0) - 48 * 3600) < 60)
            // Approving twice does nothing more.
            #expect(try await submit(&supervisor, from: "/console/two-factor-resets", to: "/console/two-factor-resets/\(reset.id)/approve")
                .hasSuffix("error=error_two_factor_reset_taken"))

            // The customer's mail (in Chinese) carries the cancel link; it works once.
            let token = try await AccountAPITests().link(client, to: "sun@example.cn", path: "/account/2fa-reset/cancel")
            #expect(try await client.json(.post, "/api/v1/accounts/2fa-reset/cancel", body: #"{"token":"\#(token)"}"#).status == .ok)
            #expect(try await client.json(.post, "/api/v1/accounts/2fa-reset/cancel", body: #"{"token":"\#(token)"}"#).code == "invalid_token")
            #expect(try await app.store.twoFactorReset(id: reset.id)?.status == .cancelled)
            #expect(try await app.store.account(id: account.id)?.totpEnabled == true)
            #expect(try await client.json(.get, "/api/v1/accounts/me/2fa-reset", token: session).code == "two_factor_reset_not_found")
            let actions = try await app.store.auditEntries(before: nil, limit: 20).map(\.action)
            for expected in ["account.two_factor_reset_requested", "account.two_factor_reset_approved", "account.two_factor_reset_cancelled"] {
                #expect(actions.contains(expected), "\(expected) missing from the audit log")
            }
            // The approval names who asked as well as who approved.
            let approval = try #require(try await app.store.auditEntries(before: nil, limit: 20).first { $0.action == "account.two_factor_reset_approved" })
            #expect(approval.detail["requested_by"] == reset.requestedBy.rawValue)
            #expect(approval.actor.id != reset.requestedBy.rawValue)
            let events = try await app.store.accountEvents(accountId: account.id, limit: 5).map(\.kind)
            #expect(Array(events.prefix(3)) == [.twoFactorResetCancelled, .twoFactorResetScheduled, .twoFactorResetRequested])
        }
    }

    @Test func theRequesterCannotApproveAndAnApprovedResetAppliesAfterTheWait() async throws {
        try await TestApp.run(twoFactorResetWait: 1) { client, app in
            let (account, session, conversation) = try await customerWithTwoFactor(client, app)
            let sidebar = "/console/conversations/\(conversation)"
            var supervisor = try await signedIn(client, Self.supervisorEmail, Self.supervisorPassword)
            _ = try await submit(&supervisor, from: sidebar, to: "\(sidebar)/account/two-factor-reset", ["reason": "Customer called from the registered phone"])
            let reset = try #require(try await app.store.latestTwoFactorReset(accountId: account.id))
            // Four eyes: not the one who asked, not even a supervisor or an admin.
            for decision in ["approve", "reject"] {
                #expect(try await submit(&supervisor, from: sidebar, to: "/console/two-factor-resets/\(reset.id)/\(decision)", ["return": sidebar])
                    .hasSuffix("\(sidebar)?error=error_approval_by_requester"))
            }
            // An open redirect is not followed.
            var admin = try await signedIn(client, TestApp.adminEmail, TestApp.adminPassword)
            let location = try await submit(
                &admin, from: "/console/two-factor-resets", to: "/console/two-factor-resets/\(reset.id)/approve", ["return": "https://evil.example/"])
            #expect(location.hasPrefix("/console/two-factor-resets?flash="))

            // The timer applies it once the wait is over: 2FA off, signed out, withdrawals paused, mailed.
            var applied: Account?
            for _ in 0..<100 {
                if let now = try await app.store.account(id: account.id), !now.totpEnabled {
                    applied = now
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let after = try #require(applied, "the reset was not applied")
            #expect((after.withdrawalsLockedUntil?.timeIntervalSinceNow ?? 0) > 23 * 3600)
            #expect(try await client.json(.get, "/api/v1/accounts/me", token: session).code == "unauthenticated")
            #expect(try await app.store.twoFactorReset(id: reset.id)?.status == .applied)
            // The customer signs in with the password alone now.
            #expect(
                try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"sun@example.cn","password":"\#(Self.password)"}"#).status
                    == .ok)
            // The mail is queued just after the change is stored: wait for it, a loaded machine
            // (a clean-clone CI run) read the outbox in between.
            var subjects: [String] = []
            for _ in 0..<100 {
                subjects = try await outboxSubjects(client, to: "sun@example.cn")
                if subjects.contains("您的两步验证已关闭") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(subjects.contains("客服将关闭您的两步验证") && subjects.contains("您的两步验证已关闭"))
            #expect(try await app.store.auditEntries(before: nil, limit: 20).contains { $0.action == "account.two_factor_reset_applied" && $0.actor == .system })
        }
    }

    @Test func theCustomerCancelsFromTheAccountPageAndBadRequestsAreRefused() async throws {
        try await TestApp.run { client, app in
            let (account, session, conversation) = try await customerWithTwoFactor(client, app)
            var agent = try await signedIn(client, TestApp.agentEmail, TestApp.agentPassword)
            let sidebar = "/console/conversations/\(conversation)"
            _ = try await submit(&agent, from: sidebar, to: "\(sidebar)/account/two-factor-reset", ["reason": "Lost phone, checked by video call"])
            #expect(try await client.json(.post, "/api/v1/accounts/me/2fa-reset/cancel", token: session).status == .ok)
            #expect(try await client.json(.post, "/api/v1/accounts/me/2fa-reset/cancel", token: session).code == "two_factor_reset_not_found")
            #expect(try await client.json(.post, "/api/v1/accounts/2fa-reset/cancel", body: #"{"token":"nonsense"}"#).code == "invalid_token")
            #expect(try await client.json(.post, "/api/v1/accounts/2fa-reset/cancel", body: #"{}"#).code == "validation_failed")
            #expect(try await app.store.latestTwoFactorReset(accountId: account.id)?.status == .cancelled)
            #expect(try await outboxSubjects(client, to: "sun@example.cn").contains("两步验证重置已取消"))
            // With 2FA off there is nothing to reset.
            let code = try await app.store.accountCredentials(id: account.id)
            #expect(code?.0.totpEnabled == true)
            try await app.store.disableAccountTOTP(
                accountId: account.id, lockWithdrawalsUntil: Date(), event: AccountEvent(kind: .twoFactorDisabled, createdAt: Date()))
            #expect(try await submit(&agent, from: sidebar, to: "\(sidebar)/account/two-factor-reset", ["reason": "Lost phone, checked by video call"])
                .hasSuffix("error=error_two_factor_off"))
        }
    }

    func outboxSubjects(_ client: any TestClientProtocol, to address: String) async throws -> [String] {
        let admin = try await client.login()
        let items = try await client.json(.get, "/api/v1/outbox", token: admin).object["items"] as? [[String: Any]] ?? []
        return items.filter { ($0["recipients"] as? [String]) == [address] }.compactMap { $0["subject"] as? String }
    }
}
