import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@Suite struct AuthorizationStoreTests {
    let policy = RiskPolicy.standard

    func usd(_ text: String) -> USD { try! USD.parse(text) }

    func account(_ store: SQLStore, tier: Int = 1) async throws -> Account {
        let account = try await store.createAccount(
            email: "risk-\(UUID().uuidString.prefix(8))@example.cn", passwordHash: "h", locale: nil, event: AccountEvent(kind: .registered, createdAt: Date()))
        return try await store.updateAccountVerification(
            accountId: account.id, tier: tier, country: nil, audit: AuditEvent(actor: .system, action: "account.tier_set", subjectKind: "account"))
    }

    func authorize(
        _ store: SQLStore, _ account: Account, _ value: String, kind: MovementKind = .transfer, key: String = UUID().uuidString,
        destination: String? = nil, at now: Date = Date()
    ) async throws -> (authorization: Authorization, replayed: Bool) {
        let request = AuthorizationRequest(kind: kind, value: usd(value), destination: destination)
        let policy = self.policy
        return try await store.authorize(
            accountId: account.id,
            NewAuthorization(idempotencyKey: key, requestHash: "\(kind)|\(value)|\(destination ?? "")", request: request, asset: "USDT", amount: value),
            now: now, decide: { AuthorizationRules.decide(request, activity: $0, policy: policy, now: now) })
    }

    @Test(arguments: TestBackend.available)
    func aHundredParallelAuthorizationsNeverPassTheCapByACent(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let holder = try await account(store)
            // Tier 1 transfers: 10,000 USD a day. 100 × 137.37 asks for 13,737.
            let outcomes = try await withThrowingTaskGroup(of: Authorization.self) { group in
                for _ in 0..<100 { group.addTask { try await authorize(store, holder, "137.37").authorization } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let approved = outcomes.filter { $0.status == .approved }
            let total = approved.reduce(USD.zero) { $0 + $1.value }
            #expect(approved.count == 72)  // 72 × 137.37 = 9,890.64; a 73rd would be 10,028.01
            #expect(total <= USD(whole: 10_000))
            #expect(outcomes.filter { $0.status == .denied }.allSatisfy { $0.decision.code == .over24h })
            // Every decision saw the ones before it: the used figures are all different.
            #expect(Set(approved.map(\.decision.tightest.used)).count == 72)
            let activity = try #require(try await store.accountActivity(accountId: holder.id, kind: .transfer, destination: nil, now: Date()))
            #expect(activity.used24h == total)
        }
    }

    @Test(arguments: TestBackend.available)
    func theSameIdempotencyKeyCountsOnceEvenInParallel(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let holder = try await account(store)
            let results = try await withThrowingTaskGroup(of: (Authorization, Bool).self) { group in
                for _ in 0..<20 { group.addTask { try await authorize(store, holder, "1000", key: "order-42") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.0.id)).count == 1)
            #expect(results.filter { !$0.1 }.count == 1)
            #expect(try await store.accountActivity(accountId: holder.id, kind: .transfer, destination: nil, now: Date())?.used24h == USD(whole: 1_000))
            await #expect(throws: StoreError.self) { try await authorize(store, holder, "999", key: "order-42") }
        }
    }

    @Test(arguments: TestBackend.available)
    func voidingGivesTheAmountBackAndTheWindowFreesOnTheDot(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let holder = try await account(store)
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let first = try await authorize(store, holder, "5000", at: start).authorization
            let second = try await authorize(store, holder, "5000", at: start.addingTimeInterval(60)).authorization
            let refused = try await authorize(store, holder, "0.01", at: start.addingTimeInterval(120)).authorization
            #expect(refused.status == .denied && refused.decision.code == .over24h)
            // It fits when the first 5,000 ages out: exactly 24 hours after it.
            #expect(refused.retryAt == start.addingTimeInterval(24 * 3600))
            let justBefore = try await authorize(store, holder, "0.01", at: start.addingTimeInterval(24 * 3600 - 0.001)).authorization
            #expect(justBefore.status == .denied)
            let onTheDot = try await authorize(store, holder, "0.01", at: start.addingTimeInterval(24 * 3600)).authorization
            #expect(onTheDot.status == .approved)

            let audit = AuditEvent(actor: .system, action: "authorization.voided", subjectKind: "authorization")
            let dayLater = start.addingTimeInterval(24 * 3600)
            #expect(try await store.accountActivity(accountId: holder.id, kind: .transfer, destination: nil, now: dayLater)?.used24h == usd("5000.01"))
            let voided = try #require(try await store.voidAuthorization(id: second.id, accountId: holder.id, at: dayLater, audit: audit))
            #expect(voided.status == .voided)
            #expect(try await store.accountActivity(accountId: holder.id, kind: .transfer, destination: nil, now: dayLater)?.used24h == usd("0.01"))
            // Once only, and never a denial.
            #expect(try await store.voidAuthorization(id: second.id, accountId: holder.id, at: dayLater, audit: audit) == nil)
            #expect(try await store.voidAuthorization(id: refused.id, accountId: holder.id, at: dayLater, audit: audit) == nil)
            #expect(try await store.voidAuthorization(id: first.id, accountId: AccountID.generate(), at: dayLater, audit: audit) == nil)
        }
    }

    /// What the account pages show ("frees at", pending holds) is exact for a busy account too,
    /// not read from its latest few hundred movements.
    @Test(arguments: TestBackend.available)
    func windowStartsAndHoldsAreExactForABusyAccount(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let holder = try await account(store, tier: 2)
            let other = try await account(store, tier: 2)
            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let day: TimeInterval = 24 * 3600
            let voided = try await authorize(store, holder, "1", at: now - 29.5 * day).authorization
            _ = try await store.voidAuthorization(
                id: voided.id, accountId: holder.id, at: now - 29.4 * day, audit: AuditEvent(actor: .system, action: "x", subjectKind: "authorization"))
            let held = try await authorize(store, holder, "1500", kind: .withdrawal, destination: "bc1q-cold", at: now - 29 * day).authorization
            #expect(held.status == .held)
            _ = try await authorize(store, holder, "1", at: now - 29 * day + 60)
            for second in 0..<210 { _ = try await authorize(store, holder, "1", at: now - 23 * 3600 + Double(second)) }
            _ = try await authorize(store, other, "1500", kind: .withdrawal, destination: "bc1q-cold", at: now - 3600)

            let starts = try await store.windowStarts(accountId: holder.id, now: now)
            #expect(starts[.transfer] == WindowStarts(oldest24h: now - 23 * 3600, oldest30d: now - 29 * day + 60))
            #expect(starts[.withdrawal] == WindowStarts(oldest24h: nil, oldest30d: now - 29 * day))
            // A day later the transfers of 23 hours ago have left the 24-hour window.
            #expect(try await store.windowStarts(accountId: holder.id, now: now + day)[.transfer]?.oldest24h == nil)
            #expect(try await store.windowStarts(accountId: holder.id, now: now + 2 * day)[.withdrawal] == nil)
            #expect(try await store.heldAuthorizations(accountId: holder.id, limit: 10).map(\.id) == [held.id])
            #expect(try await store.heldAuthorizations(accountId: nil, limit: 10).count == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func destinationsDevicesAndTiersComeFromTheStore(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let holder = try await account(store, tier: 2)
            let first = try await authorize(store, holder, "1500", kind: .withdrawal, destination: "bc1q-cold").authorization
            #expect(first.decision.code == .newDestination && first.status == .held)
            // A held withdrawal does not make the destination known; an approved one does.
            #expect(try await authorize(store, holder, "999", kind: .withdrawal, destination: "bc1q-cold").authorization.status == .approved)
            #expect(try await authorize(store, holder, "1500", kind: .withdrawal, destination: "bc1q-cold").authorization.status == .approved)
            try await store.appendAccountEvent(accountId: holder.id, AccountEvent(kind: .newDevice, createdAt: Date()))
            // A sign-in from a new device, and three withdrawals this hour: both rules fire.
            let held = try await authorize(store, holder, "10", kind: .withdrawal, destination: "bc1q-cold").authorization
            #expect(held.decision.holds == [.newDevice, .velocity])
            let verified = try await store.updateAccountVerification(
                accountId: holder.id, tier: 0, country: .some("SG"), audit: AuditEvent(actor: .system, action: "t", subjectKind: "account"))
            #expect(verified.tier == 0 && verified.country == "SG")
            #expect(try await authorize(store, holder, "10", kind: .withdrawal).authorization.decision.code == .notAllowedForTier)
        }
    }

    @Test(arguments: TestBackend.available)
    func holdsAreReleasedByTwoPeopleAboveTheAmountAndDecidedOnce(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let holder = try await account(store, tier: 2)
            func agent(_ name: String) async throws -> AgentID {
                try await store.createAgent(email: "\(name)@kefu.test", name: name, role: .agent, passwordHash: "h", mustChangePassword: false, audit: nil).id
            }
            let (mei, jun) = (try await agent("mei"), try await agent("jun"))
            let audit = AuditEvent(actor: .system, action: "x", subjectKind: "authorization")
            let big = try await authorize(store, holder, "20000", kind: .withdrawal, destination: "bc1q-new").authorization
            let small = try await authorize(store, holder, "1500", kind: .withdrawal, destination: "bc1q-other").authorization
            #expect(big.status == .held && small.status == .held)
            #expect(Set(try await store.heldAuthorizations(accountId: nil, limit: 10).map(\.id)) == [big.id, small.id])
            let from = USD(whole: 10_000)
            func review(_ id: String, _ by: AgentID, release: Bool = true) async throws -> HoldOutcome {
                try await store.reviewHold(id: id, by: by, release: release, note: "checked", twoPersonFrom: from, at: Date(), audit: audit)
            }
            guard case .awaitingSecondApproval = try await review(big.id, mei) else { Issue.record("the first approval released it"); return }
            #expect(try await review(big.id, mei) == .sameApprover)
            guard case .released(let released) = try await review(big.id, jun) else { Issue.record("not released"); return }
            #expect(released.status == .released)
            // Both steps are kept (within one millisecond their order is not defined).
            #expect(Set(try await store.holdReviews(authorizationId: big.id).map(\.action)) == [.approve, .release])
            #expect(try await review(big.id, jun) == .notHeld)
            // Below the amount one person decides; two at once: one decision.
            async let first = review(small.id, mei, release: false)
            async let second = review(small.id, jun)
            let outcomes = [try await first, try await second]
            #expect(outcomes.filter { $0 == .notHeld }.count == 1)
            let final = try #require(try await store.authorization(id: small.id))
            #expect(final.status == .rejected || final.status == .released)
            let actions = try await store.auditEntries(before: nil, limit: 10).map(\.action)
            #expect(actions.contains("authorization.hold_approve") && actions.contains("authorization.hold_release"))
            // A rejected hold gives its amount back; a released one keeps counting.
            let used = try #require(try await store.accountActivity(accountId: holder.id, kind: .withdrawal, destination: nil, now: Date())).used24h
            #expect(used == USD(whole: 20_000) + (final.status == .released ? USD(whole: 1_500) : .zero))
        }
    }
}
