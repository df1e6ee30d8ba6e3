import Foundation
import KefuCore
import KefuRisk
import KefuStore
import KefuTestSupport
import Testing

/// The decision service on its own: no router, a real store on both databases.
@Suite struct LimitDecisionsTests {
    static func account(_ store: SQLStore, tier: Int) async throws -> Account {
        let account = try await store.createAccount(
            email: "li.\(UUID().uuidString.prefix(8))@example.cn", passwordHash: "h", locale: "zh-CN",
            event: AccountEvent(kind: .registered, createdAt: Date()))
        return try await store.updateAccountVerification(
            accountId: account.id, tier: tier, country: .some("SG"), audit: AuditEvent(actor: .system, action: "test", subjectKind: "account"))
    }

    static func withdrawal(_ usd: String, key: String) -> LimitDecisions.Movement {
        .init(kind: "withdrawal", asset: "USDT", amount: usd, valueUsd: usd, destination: "TXyz", country: nil, idempotencyKey: key)
    }

    @Test(arguments: TestBackend.available)
    func aDecisionIsRecordedOnceAndItsKeyCannotBeReusedForAnotherMovement(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let decisions = LimitDecisions(store: store, policies: RiskPolicySource(store: store))
            let account = try await Self.account(store, tier: 2)
            let first = try await decisions.decide(Self.withdrawal("100", key: "w-1"), for: account.id)
            #expect(!first.replayed)
            let again = try await decisions.decide(Self.withdrawal("100", key: "w-1"), for: account.id)
            #expect(again.replayed && again.authorization.id == first.authorization.id)
            await #expect(throws: RiskError.conflict("idempotency_key")) {
                try await decisions.decide(Self.withdrawal("200", key: "w-1"), for: account.id)
            }
            let (read, _) = try await decisions.authorization(first.authorization.id, of: account.id)
            // What is recorded (the working figures of the rule, such as the withdrawal count cap, are not).
            #expect(read.id == first.authorization.id && read.status == .approved && read.decision.code == .withinLimits)
            #expect(read.decision.tightest == first.authorization.decision.tightest)
        }
    }

    @Test(arguments: TestBackend.available)
    func badMovementsNameEveryFieldAndUnknownThingsAreNotFound(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let decisions = LimitDecisions(store: store, policies: RiskPolicySource(store: store))
            let bad = LimitDecisions.Movement(
                kind: "gift", asset: "usdt!", amount: "0", valueUsd: "1.0000001", destination: "", country: "SGP", idempotencyKey: "")
            do {
                _ = try await decisions.decide(bad, for: .generate())
                Issue.record("a bad movement was decided")
            } catch RiskError.invalid(let failure) {
                #expect(failure.fields.map(\.name) == ["kind", "asset", "amount", "valueUsd", "destination", "country", "idempotencyKey"])
            }
            await #expect(throws: RiskError.notFound("account")) {
                try await decisions.decide(Self.withdrawal("10", key: "k"), for: .generate())
            }
            let account = try await Self.account(store, tier: 1)
            await #expect(throws: RiskError.assetNotSupported("PEPE")) {
                try await decisions.decide(
                    .init(kind: "transfer", asset: "PEPE", amount: "1", valueUsd: "1", destination: nil, country: nil, idempotencyKey: "p"),
                    for: account.id)
            }
            await #expect(throws: RiskError.notFound("authorization")) { try await decisions.authorization("nope", of: account.id) }
        }
    }

    @Test(arguments: TestBackend.available)
    func aVoidGivesTheAmountBackOnceAndVerificationChangesAreAudited(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let decisions = LimitDecisions(store: store, policies: RiskPolicySource(store: store))
            let account = try await Self.account(store, tier: 2)
            let decided = try await decisions.decide(Self.withdrawal("50", key: "v-1"), for: account.id)
            let (voided, _) = try await decisions.void(decided.authorization.id, of: account.id, by: "wallet", source: .system)
            #expect(voided.status == .voided)
            await #expect(throws: RiskError.conflict("authorization")) {
                try await decisions.void(decided.authorization.id, of: account.id, by: "wallet", source: .system)
            }
            await #expect(throws: RiskError.self) {
                try await decisions.setVerification(of: account.id, tier: 9, country: "S", by: .system)
            }
            let agent = AgentID.generate()
            let updated = try await decisions.setVerification(of: account.id, tier: 3, country: "", by: .agent(agent, from: "192.0.2.1"))
            #expect(updated.tier == 3 && updated.country == nil)
            let audit = try #require(try await store.auditEntries(before: nil, limit: 1).first)
            #expect(audit.action == "account.verification_changed" && audit.detail["tier"] == "2 → 3" && audit.clientAddress == "192.0.2.1")
        }
    }
}
