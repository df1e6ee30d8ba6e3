import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@Suite struct TwoFactorResetStoreTests {
    func event(_ kind: AccountEvent.Kind) -> AccountEvent { AccountEvent(kind: kind, createdAt: Date()) }
    func audit(_ action: String) -> AuditEvent { AuditEvent(actor: .system, action: action, subjectKind: "account") }

    struct Fixture {
        let account: Account
        let agent: Agent
        let supervisor: Agent
        let other: Agent
    }

    /// An account with 2FA on, two recovery codes and a session; an agent and two supervisors.
    func fixture(_ store: SQLStore) async throws -> Fixture {
        let account = try await store.createAccount(email: "wang@example.cn", passwordHash: "h", locale: "zh-CN", event: event(.registered))
        #expect(try await store.startAccountTOTP(accountId: account.id, sealedSecret: "sealed"))
        #expect(
            try await store.enableAccountTOTP(
                accountId: account.id, step: 1, recoveryCodeHashes: ["r1", "r2"], lockWithdrawalsUntil: Date(), event: event(.twoFactorEnabled)))
        _ = try await store.createAccountSession(
            accountId: account.id, tokenHash: "s1", userAgent: "Safari", clientAddress: "10.0.0.9", expiresAt: Date().addingTimeInterval(3600))
        func agent(_ name: String, _ role: AgentRole) async throws -> Agent {
            try await store.createAgent(
                email: "\(name)@kefu.test", name: name, role: role, passwordHash: "h", mustChangePassword: false, audit: nil)
        }
        return Fixture(
            account: try await store.account(id: account.id)!, agent: try await agent("mei", .agent), supervisor: try await agent("lan", .supervisor),
            other: try await agent("jun", .supervisor))
    }

    func request(_ store: SQLStore, _ f: Fixture) async throws -> TwoFactorReset {
        try await store.requestTwoFactorReset(
            accountId: f.account.id, reason: "video call, ID matched", requestedBy: f.agent.id, conversationId: nil,
            event: event(.twoFactorResetRequested), audit: audit("account.two_factor_reset_requested"))
    }

    @Test(arguments: TestBackend.available)
    func anAccountHasOneOpenResetEvenWhenRequestsRace(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let f = try await fixture(store)
            let opened = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await request(store, f)
                            return true
                        } catch StoreError.conflict { return false }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(opened == 1)
            let open = try #require(try await store.latestTwoFactorReset(accountId: f.account.id))
            #expect(open.status == .awaitingApproval)
            #expect(try await store.twoFactorResets(statuses: [.awaitingApproval], limit: 10).map(\.id) == [open.id])
            // Once finished, a new request may be opened.
            _ = try await store.decideTwoFactorReset(
                id: open.id, approve: false, by: f.supervisor.id, at: Date(), appliesAt: nil, event: event(.twoFactorResetRejected),
                audit: audit("account.two_factor_reset_rejected"))
            #expect(try await request(store, f).status == .awaitingApproval)
        }
    }

    @Test(arguments: TestBackend.available)
    func theRequesterCannotApproveAndADecisionIsMadeOnce(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let f = try await fixture(store)
            let reset = try await request(store, f)
            let appliesAt = Date().addingTimeInterval(48 * 3600)
            func approve(_ by: AgentID) async throws -> TwoFactorReset? {
                try await store.decideTwoFactorReset(
                    id: reset.id, approve: true, by: by, at: Date(), appliesAt: appliesAt, event: event(.twoFactorResetScheduled),
                    audit: audit("account.two_factor_reset_approved"))
            }
            #expect(try await approve(f.agent.id) == nil)
            // Two supervisors approve at once: one decision.
            async let first = approve(f.supervisor.id)
            async let second = approve(f.other.id)
            let decided = [try await first, try await second].compactMap { $0 }
            #expect(decided.count == 1)
            let scheduled = try #require(decided.first)
            #expect(scheduled.status == .scheduled)
            #expect(abs(try #require(scheduled.appliesAt).timeIntervalSince(appliesAt)) < 0.01)
            #expect(try await store.dueTwoFactorResets(now: Date(), limit: 10).isEmpty)
            #expect(try await store.dueTwoFactorResets(now: appliesAt.addingTimeInterval(1), limit: 10).map(\.id) == [reset.id])
            // Too early: nothing happens.
            #expect(
                try await store.applyTwoFactorReset(
                    id: reset.id, at: Date(), lockWithdrawalsUntil: Date(), event: event(.twoFactorResetApplied), audit: audit("applied")) == nil)
            #expect(try await store.account(id: f.account.id)?.totpEnabled == true)
        }
    }

    @Test(arguments: TestBackend.available)
    func aDueResetAppliesOnceAndTurnsEverythingOff(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let f = try await fixture(store)
            let reset = try await request(store, f)
            let appliesAt = Date().addingTimeInterval(60)
            _ = try #require(
                try await store.decideTwoFactorReset(
                    id: reset.id, approve: true, by: f.supervisor.id, at: Date(), appliesAt: appliesAt, event: event(.twoFactorResetScheduled),
                    audit: audit("approved")))
            let later = appliesAt.addingTimeInterval(1)
            let lock = later.addingTimeInterval(86400)
            // Ten servers' timers at once: exactly one applies it.
            let applied = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await store.applyTwoFactorReset(
                            id: reset.id, at: later, lockWithdrawalsUntil: lock, event: event(.twoFactorResetApplied),
                            audit: audit("account.two_factor_reset_applied")) != nil
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(applied == 1)
            let account = try #require(try await store.account(id: f.account.id))
            #expect(!account.totpEnabled)
            #expect(abs(try #require(account.withdrawalsLockedUntil).timeIntervalSince(lock)) < 0.01)
            #expect(try await store.remainingRecoveryCodes(accountId: f.account.id) == 0)
            #expect(try await store.accountSession(tokenHash: "s1") == nil)
            #expect(try await store.accountCredentials(id: f.account.id)?.1.sealedTOTPSecret == nil)
            #expect(try await store.twoFactorReset(id: reset.id)?.status == .applied)
            #expect(try await store.accountEvents(accountId: f.account.id, limit: 1).first?.kind == .twoFactorResetApplied)
            #expect(try await store.auditEntries(before: nil, limit: 10).filter { $0.action == "account.two_factor_reset_applied" }.count == 1)
            // Finished: neither a cancel nor a rejection changes it any more.
            #expect(try await store.cancelTwoFactorReset(id: reset.id, at: Date(), event: event(.twoFactorResetCancelled), audit: audit("c")) == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func aCancelAndTheTimerRacingLeaveOneOutcome(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let f = try await fixture(store)
            let reset = try await request(store, f)
            let appliesAt = Date().addingTimeInterval(-1)
            _ = try #require(
                try await store.decideTwoFactorReset(
                    id: reset.id, approve: true, by: f.supervisor.id, at: Date(), appliesAt: appliesAt, event: event(.twoFactorResetScheduled),
                    audit: audit("approved")))
            async let cancelled = store.cancelTwoFactorReset(id: reset.id, at: Date(), event: event(.twoFactorResetCancelled), audit: audit("c"))
            async let applied = store.applyTwoFactorReset(
                id: reset.id, at: Date(), lockWithdrawalsUntil: Date(), event: event(.twoFactorResetApplied), audit: audit("a"))
            let outcomes = [try await cancelled, try await applied].compactMap { $0 }
            #expect(outcomes.count == 1)
            let final = try #require(try await store.twoFactorReset(id: reset.id))
            #expect(final.status == outcomes[0].status)
            // 2FA is off exactly when the reset applied.
            #expect(try await store.account(id: f.account.id)?.totpEnabled == (final.status == .cancelled))
        }
    }
}
