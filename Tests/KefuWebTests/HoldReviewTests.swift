import Foundation
import HummingbirdTesting
import KefuCore
import KefuStore
import Testing

@testable import KefuRisk
@testable import KefuWeb

/// Console → Holds as agents use it: a note is required, two agents above the supervisors'
/// amount, the customer told by mail, the wallet sees the outcome.
@Suite struct HoldReviewTests {
    @Test func twoAgentsReleaseABigHoldAndTheCustomerIsTold() async throws {
        try await TestApp.run { client, app in
            let (_, token) = try await ServiceTokens.issue(name: "wallet", scope: "risk", store: app.store)
            let account = try await app.walletAccount("hold@example.cn", locale: "en", tier: 2)
            let held = try await client.json(
                .post, "/api/v1/accounts/\(account.id)/authorizations", token: token,
                body: #"{"kind":"withdrawal","asset":"USDT","amount":"30000","valueUsd":"30000","destination":"T-new","idempotencyKey":"k1"}"#)
            #expect(held.object["holds"] as? [String] == ["new_destination"])
            let id = try #require(held.object["id"] as? String)

            var admin = ConsoleBrowser(client: client)
            try await admin.signIn()
            var page = try await admin.get("/console/holds")
            #expect(page.text.contains("hold@example.cn") && page.text.contains("30,000.00"))
            var csrf = try #require(ConsoleBrowser.csrf(in: page.text))
            #expect(try await admin.post("/console/holds/settings", ["_csrf": csrf, "two_person_from": "1e4"]).headers[.location]?.contains("error_two_person_amount") == true)
            _ = try await admin.post("/console/holds/settings", ["_csrf": csrf, "two_person_from": "10000"])
            #expect(try await app.store.setting(HoldReviews.twoPersonKey) == "10000")

            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            page = try await agent.get("/console/holds")
            csrf = try #require(ConsoleBrowser.csrf(in: page.text))
            #expect(try await agent.post("/console/holds/settings", ["_csrf": csrf, "two_person_from": ""]).status == .forbidden)
            #expect(try await agent.post("/console/holds/\(id)", ["_csrf": csrf, "decision": "release", "note": "ok"]).headers[.location]?.contains("error_hold_note") == true)
            #expect(try await agent.post("/console/holds/\(id)", ["_csrf": csrf, "decision": "release", "note": "Called the customer back."])
                .headers[.location]?.contains("hold_first_approval") == true)
            #expect(try await agent.post("/console/holds/\(id)", ["_csrf": csrf, "decision": "release", "note": "Again."])
                .headers[.location]?.contains("error_hold_same_approver") == true)
            #expect(try await app.store.authorization(id: id)?.status == .held)

            page = try await admin.get("/console/holds")
            #expect(page.text.contains(#"data-testid="hold-first-approval""#) && page.text.contains("Agent"))
            csrf = try #require(ConsoleBrowser.csrf(in: page.text))
            #expect(try await admin.post("/console/holds/\(id)", ["_csrf": csrf, "decision": "release", "note": "Second look: fine."])
                .headers[.location]?.contains("hold_released") == true)
            #expect(try await client.json(.get, "/api/v1/accounts/\(account.id)/authorizations/\(id)", token: token).object["status"] as? String == "released")
            let outbox = try await client.json(.get, "/api/v1/outbox", token: try await client.login()).object["items"] as? [[String: Any]] ?? []
            #expect(outbox.contains { ($0["subject"] as? String) == "Your withdrawal was approved" })
            let audit = try await app.store.auditEntries(before: nil, limit: 10).map(\.action)
            #expect(audit.contains("authorization.hold_approve") && audit.contains("authorization.hold_release") && audit.contains("risk.two_person_changed"))
        }
    }
}

extension HoldReviewTests {
    /// A customer with an open conversation hears the outcome there (and so on its channel).
    @Test func theOutcomeGoesToTheOpenConversation() async throws {
        try await TestApp.run { client, app in
            let (_, token) = try await ServiceTokens.issue(name: "wallet", scope: "risk", store: app.store)
            let account = try await app.walletAccount("chat@example.cn", locale: "zh-CN", tier: 2)
            let inbox = try await app.store.createInbox(name: "Web", kind: .webchat, audit: nil)
            let conversation = try await app.store.createConversation(inboxId: inbox.id, contactId: try #require(account.contactId), subject: "提现")
            let held = try await client.json(
                .post, "/api/v1/accounts/\(account.id)/authorizations", token: token,
                body: #"{"kind":"withdrawal","asset":"USDT","amount":"2000","valueUsd":"2000","destination":"T-x","idempotencyKey":"k"}"#)
            let id = try #require(held.object["id"] as? String)
            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            let csrf = try #require(ConsoleBrowser.csrf(in: try await agent.get("/console/holds").text))
            _ = try await agent.post("/console/holds/\(id)", ["_csrf": csrf, "decision": "reject", "note": "Destination flagged by chain analysis."])
            let messages = try await app.store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(messages.last?.text == "您的提现（2,000.00 美元）未通过人工审核，资金仍在您的账户中。如需了解原因，请直接回复。")
            #expect(messages.last?.direction == .outgoing)
            // The internal note never reaches the customer.
            #expect(!messages.contains { $0.text.contains("chain analysis") })
        }
    }
}

/// The limits beside a conversation and on the customer's own page: the same numbers the
/// decision service uses, in the reader's language.
@Suite struct LimitsDisplayTests {
    @Test func agentsAndTheCustomerSeeWhatIsUsedAndLeft() async throws {
        try await TestApp.run { client, app in
            let (_, token) = try await ServiceTokens.issue(name: "wallet", scope: "risk", store: app.store)
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"qin@example.cn","password":"Limits-view-2026!","locale":"zh-CN"}"#)
            let account = try #require(try await app.store.accountCredentials(email: "qin@example.cn")?.0)
            _ = try await app.store.updateAccountVerification(
                accountId: account.id, tier: 1, country: nil, audit: AuditEvent(actor: .system, action: "t", subjectKind: "account"))
            for (key, value) in [("a", "2500"), ("b", "1500.5")] {
                _ = try await client.json(
                    .post, "/api/v1/accounts/\(account.id)/authorizations", token: token,
                    body: #"{"kind":"withdrawal","asset":"USDT","amount":"\#(value)","valueUsd":"\#(value)","idempotencyKey":"\#(key)"}"#)
            }
            let inbox = try await app.store.createInbox(name: "Web", kind: .webchat, audit: nil)
            let conversation = try await app.store.createConversation(inboxId: inbox.id, contactId: try #require(account.contactId), subject: "额度")

            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            let panel = try await agent.get("/console/conversations/\(conversation.id)").text
            #expect(panel.contains(#"data-testid="account-limits""#))
            #expect(panel.contains("5,999.50 / 10,000.00"))  // withdrawals left of the 24-hour cap
            // The explanation is in the customer's language (Chinese) whatever the agent reads.
            #expect(panel.contains("提现：单笔最多 5,000.00 美元；24 小时额度 10,000.00 美元，已用 4,000.50 美元，剩余 5,999.50 美元"))

            let session = try #require(
                try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"qin@example.cn","password":"Limits-view-2026!"}"#)
                    .object["token"] as? String)
            let home = try await client.execute(
                uri: "/account", method: .get, headers: [.cookie: "kefu_account=\(session)", .acceptLanguage: "zh-CN"]).text
            #expect(home.contains(#"data-testid="limits""#) && home.contains("5,999.50 / 10,000.00 USD"))
            #expect(home.contains("完成身份认证可提升等级和额度"))
            // When each window of the withdrawal row starts to free up (transfers have none used).
            #expect(home.components(separatedBy: "恢复时间").count - 1 == 2)
        }
    }
}

/// Admin → Limits: the whole policy as a form, checked as a whole, applied to the next decision.
@Suite struct RiskPolicyEditorTests {
    /// The form's fields as a browser would send them (text inputs, checked boxes).
    static func fields(_ html: String) -> [String: String] {
        var fields: [String: String] = [:]
        for match in html.matches(of: /<input name="([^"]+)" value="([^"]*)"/) { fields[String(match.output.1)] = String(match.output.2) }
        for match in html.matches(of: /<input type="checkbox" name="([^"]+)" checked/) { fields[String(match.output.1)] = "on" }
        return fields
    }

    @Test func anAdminChangesCapsAndRegionsAndTheNextDecisionFollows() async throws {
        try await TestApp.run { client, app in
            let (_, token) = try await ServiceTokens.issue(name: "wallet", scope: "risk", store: app.store)
            let account = try await app.walletAccount("editor@example.cn", locale: "en", tier: 1, country: "SG")
            func ask(_ value: String) async throws -> String? {
                try await client.json(
                    .post, "/api/v1/accounts/\(account.id)/authorizations", token: token,
                    body: #"{"kind":"withdrawal","asset":"USDT","amount":"\#(value)","valueUsd":"\#(value)","idempotencyKey":"\#(UUID())"}"#
                ).object["code"] as? String
            }
            #expect(try await ask("6000") == "over_per_transaction_limit")

            var admin = ConsoleBrowser(client: client)
            try await admin.signIn()
            let page = try await admin.get("/console/admin/limits")
            #expect(page.status == .ok)
            var form = Self.fields(page.text)
            #expect(form["tier1_withdrawal_perTransaction"] == "5000" && form["rule_securityLock"] == "on")
            form["_csrf"] = try #require(ConsoleBrowser.csrf(in: page.text))
            form["tier1_withdrawal_perTransaction"] = "20000"  // above the 24-hour cap: refused
            form["tier2_transfer_rolling24h"] = "lots"
            let refused = try await admin.post("/console/admin/limits", form)
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("must not be above the 24-hour cap") && refused.text.contains("not an amount"))
            #expect(refused.text.contains(#"value="lots""#))  // what was typed comes back

            form["tier1_withdrawal_perTransaction"] = "8000"
            form["tier2_transfer_rolling24h"] = "100000"
            #expect(try await admin.post("/console/admin/limits", form).headers[.location]?.contains("flash=saved") == true)
            #expect(try await ask("6000") == "within_limits")
            // The asset list: what was typed comes back with each symbol's problem, then it is saved.
            #expect(form["assets"] == RiskPolicy.standardAssets.joined(separator: ", "))
            form["assets"] = "USDT, U$DT，usdt"
            let badAssets = try await admin.post("/console/admin/limits", form)
            #expect(badAssets.status == .badRequest)
            #expect(badAssets.text.contains("U$DT: up to 20 letters") && badAssets.text.contains("usdt: listed twice"))
            form["assets"] = "USDT PEPE"
            #expect(try await admin.post("/console/admin/limits", form).headers[.location]?.contains("flash=saved") == true)
            #expect(try await RiskPolicySource(store: app.store).current().assets == ["USDT", "PEPE"])
            form["region0_country"] = "sg"
            form["region0_withdrawal_off"] = "on"
            _ = try await admin.post("/console/admin/limits", form)
            #expect(try await ask("10") == "disabled_in_region")
            #expect(try await app.store.auditEntries(before: nil, limit: 5).filter { $0.action == "risk.policy_changed" }.count == 3)

            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            #expect(try await agent.get("/console/admin/limits").status == .forbidden)
        }
    }
}
