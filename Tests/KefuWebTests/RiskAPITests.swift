import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@testable import KefuRisk
@testable import KefuWeb

@Suite struct RiskAPITests {
    func customer(_ app: TestApp, locale: String = "en", tier: Int = 1) async throws -> Account {
        try await app.walletAccount("holder-\(UUID().uuidString.prefix(6))@example.cn", locale: locale, tier: tier)
    }

    func body(_ kind: String = "withdrawal", value: String, key: String = UUID().uuidString, destination: String? = nil) -> String {
        let dest = destination.map { #","destination":"\#($0)""# } ?? ""
        return #"{"kind":"\#(kind)","asset":"USDT","amount":"\#(value)","valueUsd":"\#(value)","idempotencyKey":"\#(key)"\#(dest)}"#
    }

    @Test func theWalletAsksAndGetsADecisionWithTheNumbers() async throws {
        try await TestApp.run { client, app in
            let (_, token) = try await ServiceTokens.issue(name: "wallet", scope: "risk", store: app.store)
            let holder = try await customer(app)
            let path = "/api/v1/accounts/\(holder.id)/authorizations"

            let first = try await client.json(.post, path, token: token, body: body("transfer", value: "6000.5", key: "t-1"))
            #expect(first.status == .created)
            #expect(first.object["decision"] as? String == "denied" && first.object["code"] as? String == "over_per_transaction_limit")
            let approved = try await client.json(.post, path, token: token, body: body("transfer", value: "4000.25", key: "t-2"))
            #expect(approved.status == .created)
            #expect(approved.object["decision"] as? String == "approved")
            #expect(approved.object["limit"] as? String == "10000" && approved.object["used"] as? String == "4000.25")
            #expect(approved.object["remaining"] as? String == "5999.75" && approved.object["window"] as? String == "rolling_24h")
            #expect((approved.object["message"] as? String)?.contains("5,999.75 USD of your 24-hour transfer limit of 10,000.00 USD is left") == true)

            // The same key: the first decision, counted once; with another request: a conflict.
            let replay = try await client.json(.post, path, token: token, body: body("transfer", value: "4000.25", key: "t-2"))
            #expect(replay.status == .ok && replay.object["replayed"] as? Bool == true && replay.object["id"] as? String == approved.object["id"] as? String)
            #expect(try await client.json(.post, path, token: token, body: body("transfer", value: "1", key: "t-2")).code == "idempotency_key_conflict")
            #expect(try await client.json(.post, path, token: token, body: body("transfer", value: "5000", key: "t-3")).object["used"] as? String == "9000.25")
            let refused = try await client.json(.post, path, token: token, body: body("transfer", value: "1000", key: "t-4"))
            #expect(refused.object["code"] as? String == "over_24h_limit")
            #expect(refused.object["retryAt"] as? String != nil)
            #expect(refused.object["used"] as? String == "9000.25" && refused.object["remaining"] as? String == "999.75")
            #expect((refused.object["message"] as? String)?.contains("9,000.25 USD used, 999.75 USD left. It can go through from") == true)

            // Voiding gives it back, once.
            let id = try #require(approved.object["id"] as? String)
            let voided = try await client.json(.post, "\(path)/\(id)/void", token: token)
            #expect(voided.object["status"] as? String == "voided")
            #expect(try await client.json(.post, "\(path)/\(id)/void", token: token).code == "authorization_conflict")
            #expect(try await client.json(.get, "\(path)/\(id)", token: token).object["status"] as? String == "voided")
            #expect(try await client.json(.post, path, token: token, body: body("transfer", value: "1000", key: "t-5")).object["decision"] as? String == "approved")
            #expect(try await app.store.auditEntries(before: nil, limit: 5).contains { $0.action == "authorization.voided" })
        }
    }

    @Test func onlyARiskServiceTokenMayAskAndBadInputIsNamed() async throws {
        try await TestApp.run { client, app in
            let (_, token) = try await ServiceTokens.issue(name: "wallet", scope: "risk", store: app.store)
            let holder = try await customer(app)
            let path = "/api/v1/accounts/\(holder.id)/authorizations"
            #expect(try await client.json(.post, path, body: body(value: "1")).code == "unauthenticated")
            let agent = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            #expect(try await client.json(.post, path, token: agent, body: body(value: "1")).code == "unauthenticated")
            #expect(try await client.json(.post, path, token: "kfs_forged", body: body(value: "1")).code == "unauthenticated")
            let bad = try await client.json(
                .post, path, token: token,
                body: #"{"kind":"gift","asset":"US DT","amount":"-1","valueUsd":"1e5","idempotencyKey":"","country":"CHN"}"#)
            #expect(bad.code == "validation_failed")
            let names = (bad.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names == ["kind", "asset", "amount", "valueUsd", "country", "idempotencyKey"])
            let precise = try await client.json(.post, path, token: token, body: body(value: "1.0000001"))
            #expect((precise.object["errors"] as? [[String: Any]])?.first?["code"] as? String == "at_most_6_decimals")
            #expect(try await client.json(.post, "/api/v1/accounts/\(AccountID.generate())/authorizations", token: token, body: body(value: "1")).code
                == "account_not_found")
        }
    }

    @Test func supervisorsSetTheTierAndAdminsThePolicyBothAtOnce() async throws {
        try await TestApp.run { client, app in
            let (_, token) = try await ServiceTokens.issue(name: "wallet", scope: "risk", store: app.store)
            let holder = try await customer(app, locale: "zh-CN", tier: 0)
            let path = "/api/v1/accounts/\(holder.id)/authorizations"
            let refused = try await client.json(.post, path, token: token, body: body(value: "100"))
            #expect(refused.object["code"] as? String == "not_allowed_for_tier")
            #expect((refused.object["message"] as? String)?.contains("完成身份认证") == true)

            let agent = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            #expect(try await client.json(.patch, "/api/v1/accounts/\(holder.id)", token: agent, body: #"{"tier":2}"#).code == "forbidden")
            let admin = try await client.login()
            #expect(try await client.json(.patch, "/api/v1/accounts/\(holder.id)", token: admin, body: #"{"tier":4}"#).code == "validation_failed")
            let raised = try await client.json(.patch, "/api/v1/accounts/\(holder.id)", token: admin, body: #"{"tier":2,"country":"sg"}"#)
            #expect(raised.object["tier"] as? Int == 2 && raised.object["country"] as? String == "SG")
            #expect(raised.object["antiPhishingCode"] == nil)
            #expect(try await client.json(.post, path, token: token, body: body(value: "100")).object["decision"] as? String == "approved")
            #expect(try await app.store.auditEntries(before: nil, limit: 5).first?.action == "account.verification_changed")

            // An admin switches withdrawals off in Singapore: the next decision follows.
            var policy = try #require(try JSONDecoder().decode(RiskPolicy.self, from: Data(buffer: try await client.json(.get, "/api/v1/risk/policy", token: admin).body)))
            policy.regions = [RegionRule(country: "SG", disabled: [.withdrawal])]
            let saved = try await client.json(.put, "/api/v1/risk/policy", token: admin, body: String(decoding: try JSONEncoder().encode(policy), as: UTF8.self))
            #expect(saved.status == .ok)
            let blocked = try await client.json(.post, path, token: token, body: body(value: "100"))
            #expect(blocked.object["code"] as? String == "disabled_in_region")
            #expect((blocked.object["message"] as? String)?.contains("您所在的地区暂不支持提现") == true)
            policy.rules.largeSharePercent = 101
            let invalid = try await client.json(.put, "/api/v1/risk/policy", token: admin, body: String(decoding: try JSONEncoder().encode(policy), as: UTF8.self))
            #expect((invalid.object["errors"] as? [[String: Any]])?.first?["name"] as? String == "rules.largeSharePercent")
            #expect(try await client.json(.put, "/api/v1/risk/policy", token: agent, body: "{}").code == "forbidden")
        }
    }

    /// The decision service decides on the assets of the policy's list only: anything else is
    /// refused with a code (and nothing is recorded) until an admin adds it.
    @Test func unknownAssetsAreRefusedUntilAnAdminListsThem() async throws {
        try await TestApp.run { client, app in
            let (_, token) = try await ServiceTokens.issue(name: "wallet", scope: "risk", store: app.store)
            let holder = try await customer(app)
            let path = "/api/v1/accounts/\(holder.id)/authorizations"
            func ask(_ asset: String, key: String, language: String = "en") async throws -> TestResponse {
                try await client.json(
                    .post, path, token: token,
                    body: #"{"kind":"transfer","asset":"\#(asset)","amount":"5","valueUsd":"5","idempotencyKey":"\#(key)"}"#,
                    headers: [.acceptLanguage: language])
            }
            let refused = try await ask("PEPE", key: "p-1")
            #expect(refused.status == .unprocessableContent && refused.code == "asset_not_supported")
            #expect((refused.object["detail"] as? String)?.contains("PEPE is not on the risk policy's list of assets") == true)
            #expect((try await ask("PEPE", key: "p-2", language: "zh-CN").object["detail"] as? String)?.contains("不在风控策略的资产列表中") == true)
            #expect(try await ask("usdt", key: "p-3").status == .created)  // symbols compare without case

            let admin = try await client.login()
            var policy = try JSONDecoder().decode(RiskPolicy.self, from: Data(buffer: try await client.json(.get, "/api/v1/risk/policy", token: admin).body))
            #expect(policy.assets == RiskPolicy.standardAssets)
            policy.assets += ["PE$PE", "btc"]
            let invalid = try await client.json(.put, "/api/v1/risk/policy", token: admin, body: String(decoding: try JSONEncoder().encode(policy), as: UTF8.self))
            let errors = (invalid.object["errors"] as? [[String: Any]] ?? []).map { "\($0["name"] as? String ?? "") \($0["code"] as? String ?? "")" }
            #expect(errors == ["assets[10] asset_format", "assets[11] asset_twice"])
            policy.assets = ["USDT", "PEPE"]
            #expect(try await client.json(.put, "/api/v1/risk/policy", token: admin, body: String(decoding: try JSONEncoder().encode(policy), as: UTF8.self)).status == .ok)
            // The refused request recorded nothing: its key is still free.
            let allowed = try await ask("PEPE", key: "p-1")
            #expect(allowed.status == .created && allowed.object["asset"] as? String == "PEPE")
            #expect(try await ask("BTC", key: "p-4").code == "asset_not_supported")
            // Stored, the list survives a fresh read (another server) on either database.
            #expect(try await RiskPolicySource(store: app.store).current().assets == ["USDT", "PEPE"])
            // A client that sends no list keeps its document valid: the standard list.
            var object = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(policy)) as? [String: Any])
            object["assets"] = nil
            let withoutList = try await client.json(
                .put, "/api/v1/risk/policy", token: admin, body: String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
            #expect(withoutList.status == .ok && withoutList.object["assets"] as? [String] == RiskPolicy.standardAssets)
        }
    }

    /// Another server sharing the database saved a policy: this one follows within `freshness`.
    @Test func aPolicySavedElsewhereIsPickedUpWithoutARestart() async throws {
        try await TestApp.run { _, app in
            // A clock the test moves, so a slow machine cannot age the copy early.
            let clock = TestClock()
            let source = RiskPolicySource(store: app.store, freshness: 0.2, now: { clock.now })
            #expect(try await source.current() == RiskPolicy.standard)
            var changed = RiskPolicy.standard
            changed.rules.withdrawalsPerHour = 9
            let json = String(decoding: try JSONEncoder().encode(changed), as: UTF8.self)
            try await app.store.setSetting(RiskPolicySource.key, value: json, audit: nil)
            #expect(try await source.current().rules.withdrawalsPerHour == 3)  // still the copy in memory
            clock.advance(by: 0.3)
            #expect(try await source.current().rules.withdrawalsPerHour == 9)
        }
    }
}
