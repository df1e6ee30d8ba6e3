import Foundation
import KefuAccounts
import KefuCore
import KefuStore
import KefuTestSupport
import Logging
import Synchronization
import Testing

/// The accounts service on its own: a real store on both databases, a notifier that records
/// what would be mailed, no router.
@Suite struct AccountServiceTests {
    struct Desk {
        let store: SQLStore
        let accounts: AccountService
        let notifier: RecordingNotifier
    }

    static let password = "Wallet-pass-2026!"

    static func withDesk<T: Sendable>(_ backend: TestBackend, _ body: @Sendable (Desk) async throws -> T) async throws -> T {
        try await withTestStore(backend) { store in
            let notifier = RecordingNotifier()
            let accounts = try await TestAccounts.service(store: store, notifier: notifier)
            return try await body(Desk(store: store, accounts: accounts, notifier: notifier))
        }
    }

    @Test(arguments: TestBackend.available)
    func registrationMailsAVerificationLinkInTheCustomersLanguageAndATakenAddressLooksTheSame(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let first = try await desk.accounts.register(email: "Li.Wei@Example.cn", password: Self.password, locale: "zh-CN", userAgent: nil, address: "192.0.2.1")
            #expect(first.email == "li.wei@example.cn" && !first.emailVerified)
            let again = try await desk.accounts.register(email: "li.wei@example.cn", password: Self.password, locale: "zh-CN", userAgent: nil, address: "192.0.2.1")
            #expect(again.email == first.email && again.id != first.id)
            let mails = desk.notifier.sent
            #expect(mails.count == 2)
            #expect(mails[0].subject == "请验证您的邮箱" && mails[0].text.contains("https://kefu.test/account/verify?token="))
            #expect(mails[1].subject == "您已经有账户了")
            #expect(mails.allSatisfy { $0.text.contains("我们绝不会索要您的密码、助记词、私钥或验证码。") })
        }
    }

    @Test(arguments: TestBackend.available)
    func badInputIsADomainErrorNamingEveryRuleTheFieldsBreak(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            await #expect(throws: AccountError.invalid(ValidationFailure("email", .invalid))) {
                try await desk.accounts.register(email: "li%wei@example.cn", password: Self.password, locale: nil, userAgent: nil, address: nil)
            }
            do {
                _ = try await desk.accounts.register(email: "short@example.cn", password: "short", locale: nil, userAgent: nil, address: nil)
                Issue.record("a short password was accepted")
            } catch AccountError.invalid(let failure) {
                #expect(failure.fields.map(\.problem).contains(.rule("password_too_short")))
            }
            #expect(desk.notifier.sent.isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)
    func wrongPasswordsAreOneAnswerAndAParallelBurstIsCountedOneByOne(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            _ = try await desk.accounts.register(email: "burst@example.cn", password: Self.password, locale: "en", userAgent: nil, address: nil)
            await #expect(throws: AccountError.invalidCredentials) {
                try await desk.accounts.login(email: "nobody@example.cn", password: Self.password, otp: nil, userAgent: nil, address: "192.0.2.9")
            }
            let answers = await withTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await desk.accounts.login(
                                email: "burst@example.cn", password: "wrong-\(index)", otp: nil, userAgent: nil, address: "198.51.100.\(index)")
                            return "in"
                        } catch AccountError.invalidCredentials {
                            return "wrong"
                        } catch AccountError.tooManyAttempts {
                            return "wait"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            // The account's budget (5 free, then doubling waits): never the whole burst.
            #expect((1...6).contains(answers["wrong"] ?? 0), "\(answers)")
            #expect((answers["wrong"] ?? 0) + (answers["wait"] ?? 0) == 20, "\(answers)")
        }
    }

    @Test(arguments: TestBackend.available)
    func aResetLinkWorksOnceAndEndsEverySession(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let registered = try await desk.accounts.register(email: "reset@example.cn", password: Self.password, locale: "en", userAgent: nil, address: nil)
            let session = try await desk.accounts.login(email: "reset@example.cn", password: Self.password, otp: nil, userAgent: "Firefox", address: "192.0.2.5")
            let account = try #require(try await desk.store.account(id: registered.id))
            try await desk.accounts.sendReset(account, userAgent: nil, address: nil)
            let link = try #require(desk.notifier.sent.last { $0.subject == "Reset your password" }?.text)
            let token = try #require(link.firstMatch(of: /token=([A-Za-z0-9_-]+)/)?.output.1)
            try await desk.accounts.confirmPasswordReset(token: String(token), password: "Another-pass-2026!", otp: nil, userAgent: nil, address: nil)
            await #expect(throws: AccountError.invalidToken) {
                try await desk.accounts.confirmPasswordReset(token: String(token), password: "Third-pass-2026!x", otp: nil, userAgent: nil, address: nil)
            }
            #expect(try await desk.store.accountSession(tokenHash: TokenDigest.of(session.token)) == nil)
            _ = try await desk.accounts.login(email: "reset@example.cn", password: "Another-pass-2026!", otp: nil, userAgent: nil, address: "192.0.2.5")
        }
    }
}
