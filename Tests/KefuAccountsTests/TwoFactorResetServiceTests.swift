import Foundation
import KefuAccounts
import KefuCore
import KefuStore
import KefuTestSupport
import Logging
import Synchronization
import Testing

/// The supervised 2FA reset and agents' sign-in on their own: a real store, a clock the test
/// moves, a notifier that records mail. No router.
@Suite struct TwoFactorResetServiceTests {
    @Test(arguments: TestBackend.available)
    func aResetNeedsASecondSupervisorAndAppliesOnceWhenTheWaitIsOver(_ backend: TestBackend) async throws {
        let clock = TestClock(Date())
        try await withTestStore(backend, now: { clock.now }) { store in
            let notifier = RecordingNotifier()
            let accounts = try await TestAccounts.service(store: store, notifier: notifier, now: { clock.now })
            let resets = TwoFactorResets(store: store, accounts: accounts, wait: 48 * 3600, logger: Logger(label: "test"), now: { clock.now })
            let agent = try await store.createAgent(email: "a@kefu.test", name: "A", role: .agent, passwordHash: "x", mustChangePassword: false, audit: nil)
            let supervisor = try await store.createAgent(email: "s@kefu.test", name: "S", role: .supervisor, passwordHash: "x", mustChangePassword: false, audit: nil)
            let created = try await store.createAccount(email: "lost@example.cn", passwordHash: "h", locale: "zh-CN", event: AccountEvent(kind: .registered, createdAt: clock.now))
            #expect(try await store.startAccountTOTP(accountId: created.id, sealedSecret: "sealed"))
            #expect(try await store.enableAccountTOTP(
                accountId: created.id, step: 1, recoveryCodeHashes: ["r"], lockWithdrawalsUntil: clock.now, event: AccountEvent(kind: .twoFactorEnabled, createdAt: clock.now)))
            let account = try #require(try await store.account(id: created.id))

            await #expect(throws: AccountError.invalid(ValidationFailure("reason", .tooShort(min: TwoFactorReset.reasonLength.lowerBound)))) {
                try await resets.request(account, reason: "x", by: agent, conversationId: nil, address: nil)
            }
            let asked = try await resets.request(account, reason: "Video call, ID and selfie match the account.", by: agent, conversationId: nil, address: nil)
            await #expect(throws: AccountError.forbidden) { try await resets.decide(id: asked.id, approve: true, by: agent, address: nil) }
            await #expect(throws: AccountError.approvalByRequester) {
                let promoted = try await store.updateAgent(id: agent.id, status: nil, role: .supervisor, chatCapacity: nil, audit: nil)
                try await resets.decide(id: asked.id, approve: true, by: promoted, address: nil)
            }
            let approved = try await resets.decide(id: asked.id, approve: true, by: supervisor, address: nil)
            #expect(approved.status == .scheduled)
            #expect(notifier.sent.map(\.subject) == ["客服将关闭您的两步验证"])
            // Not yet: nothing applies before the wait is over.
            #expect(await resets.applyDue() == 0)
            clock.advance(by: 48 * 3600 + 1)
            #expect(await resets.applyDue() == 1)
            #expect(await resets.applyDue() == 0)
            #expect(try await store.account(id: account.id)?.totpEnabled == false)
            #expect(notifier.sent.last?.subject == "您的两步验证已关闭")
        }
    }

    @Test(arguments: TestBackend.available)
    func agentsSignInWithOneAnswerForEveryWrongFactor(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let hasher = PasswordHasher(cost: 4)
            let auth = AgentAuthService(
                store: store, hasher: hasher, throttler: LoginThrottler(), secretKey: Data(repeating: 1, count: 32),
                dummyHash: try await hasher.dummyHash(), sessionLifetime: 3600, apiTokenLifetime: 3600)
            _ = try await AgentInvitation(store: store, hasher: hasher).invite(
                email: "mei@kefu.test", name: "Mei", role: .agent, password: "a long passphrase here", audit: nil)
            await #expect(throws: AccountError.invalidCredentials) {
                try await auth.login(email: "mei@kefu.test", password: "wrong passphrase here", otp: nil, kind: .api, userAgent: nil, address: "192.0.2.1")
            }
            await #expect(throws: AccountError.invalidCredentials) {
                try await auth.login(email: "nobody@kefu.test", password: "a long passphrase here", otp: nil, kind: .api, userAgent: nil, address: "192.0.2.1")
            }
            let success = try await auth.login(email: "mei@kefu.test", password: "a long passphrase here", otp: nil, kind: .api, userAgent: nil, address: "192.0.2.1")
            #expect(try await auth.identity(token: success.token)?.agent.email == "mei@kefu.test")
            await #expect(throws: AccountError.conflict("agent")) {
                try await AgentInvitation(store: store, hasher: hasher).invite(email: "mei@kefu.test", name: "Mei", role: .agent, audit: nil)
            }
        }
    }
}
