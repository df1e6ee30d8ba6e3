import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import KefuTestSupport
import Testing

@testable import KefuAccounts
@testable import KefuWeb

/// Parallel bursts of guesses meet the documented limits (docs/security.md): each attempt is
/// counted before its slow check, so a burst is admitted one by one, never evaluated whole.
/// "Evaluated" = answered with the check's own refusal (401); the rest wait (429).
@Suite struct ParallelGuessTests {
    static let password = "Parallel-pass-2026!"

    /// Sends `count` requests at once and tallies the answers by status, with how long the
    /// burst lasted.
    func burst(_ count: Int, _ send: @escaping @Sendable (Int) async throws -> TestResponse) async throws -> (tally: [HTTPResponse.Status: Int], lasted: TimeInterval) {
        let started = Date()
        let tally = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
            for index in 0..<count { group.addTask { try await send(index).status } }
            return try await group.reduce(into: [:]) { $0[$1, default: 0] += 1 }
        }
        return (tally, Date().timeIntervalSince(started))
    }

    /// The most attempts `policy` lets through in `seconds`: its free ones, then one after each
    /// doubling delay that fits (a loaded machine stretches a burst over several seconds).
    func mostEvaluated(_ policy: ThrottlePolicy, within seconds: TimeInterval) -> Int {
        var extra = 0
        var waited = 0.0
        while true {
            waited += min(policy.maxDelay, policy.baseDelay * pow(2, Double(extra)))
            guard waited <= seconds else { return policy.freeAttempts + extra }
            extra += 1
        }
    }

    func from(_ address: String) -> HTTPFields { [HTTPField.Name("X-Forwarded-For")!: address] }

    @Test func fiftyParallelWrongTOTPCodesForOneCustomerEvaluateAtMostFive() async throws {
        try await TestApp.run(trustProxy: true) { client, app in
            _ = try await client.customerWithTOTP("burst@example.cn", password: Self.password)

            // The right password, wrong codes, each from its own address: only the account limit applies.
            let (tally, lasted) = try await burst(50) { index in
                try await client.json(
                    .post, "/api/v1/accounts/sessions",
                    body: #"{"email":"burst@example.cn","password":"\#(Self.password)","otp":"\#(String(format: "%06d", index))"}"#,
                    headers: from("198.51.100.\(index + 1)"))
            }
            #expect((1...mostEvaluated(.perAccount, within: lasted)).contains(tally[.unauthorized] ?? 0))
            #expect(tally[.tooManyRequests] == 50 - (tally[.unauthorized] ?? 0))
            // And the failed attempts the security history shows match what was evaluated.
            let account = try #require(try await app.store.accountCredentials(email: "burst@example.cn")?.0)
            try await waitFor { try await app.store.accountEvents(accountId: account.id, limit: 100).filter { $0.kind == .loginFailed }.count == tally[.unauthorized] }
        }
    }

    @Test func fiftyParallelWrongAgentPasswordsEvaluateAtMostFive() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            let (tally, lasted) = try await burst(50) { index in
                try await client.json(
                    .post, "/api/v1/auth/login", body: #"{"email":"\#(TestApp.agentEmail)","password":"wrong guess \#(index)"}"#,
                    headers: from("203.0.113.\(index + 1)"))
            }
            #expect((1...mostEvaluated(.perAccount, within: lasted)).contains(tally[.unauthorized] ?? 0))
            #expect(tally[.tooManyRequests] == 50 - (tally[.unauthorized] ?? 0))
        }
    }

    @Test func fiftyParallelWrongAgentCodesEvaluateAtMostFive() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            let token = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            let setup = try await client.json(.post, "/api/v1/me/2fa/setup", token: token)
            let secret = try TOTPTestSupport.secret(fromURI: try #require(setup.object["otpauthUri"] as? String))
            let code = TOTPService().code(secret: secret, step: TOTPService.step(at: Date()))
            #expect(try await client.json(.post, "/api/v1/me/2fa/confirm", token: token, body: #"{"code":"\#(code)"}"#).status == .ok)
            let (tally, lasted) = try await burst(50) { index in
                try await client.json(
                    .post, "/api/v1/auth/login",
                    body: #"{"email":"\#(TestApp.agentEmail)","password":"\#(TestApp.agentPassword)","otp":"\#(String(format: "%06d", index))"}"#,
                    headers: from("192.0.2.\(index + 1)"))
            }
            #expect((1...mostEvaluated(.perAccount, within: lasted)).contains(tally[.unauthorized] ?? 0))
            #expect(tally[.tooManyRequests] == 50 - (tally[.unauthorized] ?? 0))
        }
    }

    @Test func oneAddressSprayingAHundredAccountsInParallelEvaluatesAtMostTwenty() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            let (tally, lasted) = try await burst(100) { index in
                try await client.json(
                    .post, "/api/v1/accounts/sessions", body: #"{"email":"spray\#(index)@example.cn","password":"Guess-\#(index)-pass!"}"#,
                    headers: from("192.0.2.200"))
            }
            #expect((1...mostEvaluated(.perAddress, within: lasted)).contains(tally[.unauthorized] ?? 0))
            #expect(tally[.tooManyRequests] == 100 - (tally[.unauthorized] ?? 0))
        }
    }

    /// One budget per address for every form that checks a secret, agents' and customers' alike:
    /// separate budgets let an outsider add them up (20 agent + 20 customer guesses).
    @Test func agentAndCustomerSignInsShareTheAddressBudget() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            var evaluated = 0
            for index in 0..<15 {
                let agent = try await client.json(
                    .post, "/api/v1/auth/login", body: #"{"email":"probe\#(index)@kefu.test","password":"wrong guess"}"#, headers: from("192.0.2.150"))
                let customer = try await client.json(
                    .post, "/api/v1/accounts/sessions", body: #"{"email":"probe\#(index)@example.cn","password":"Wrong-guess-1!"}"#,
                    headers: from("192.0.2.150"))
                evaluated += [agent, customer].filter { $0.status == .unauthorized }.count
            }
            #expect(evaluated <= ThrottlePolicy.perAddress.freeAttempts + 2)
            #expect(evaluated >= ThrottlePolicy.perAddress.freeAttempts)
        }
    }

    @Test func aRightAnswerGivesItsAttemptBack() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"owner@example.cn","password":"\#(Self.password)"}"#)
            // Twenty right sign-ins from one address never use up the address's free attempts.
            for _ in 0..<25 {
                let ok = try await client.json(
                    .post, "/api/v1/accounts/sessions", body: #"{"email":"owner@example.cn","password":"\#(Self.password)"}"#,
                    headers: from("192.0.2.77"))
                #expect(ok.status == .ok)
            }
            let wrong = try await client.json(
                .post, "/api/v1/accounts/sessions", body: #"{"email":"other@example.cn","password":"\#(Self.password)"}"#,
                headers: from("192.0.2.77"))
            #expect(wrong.status == .unauthorized)
        }
    }
}

/// The limiter itself: a reservation is atomic, a given-back attempt no longer counts.
@Suite struct LoginThrottlerTests {
    @Test func aBurstIsAdmittedOneByOneUpToThePolicy() async throws {
        // A thousand reservations at the same instant: exactly the free attempts get through.
        let clock = TestClock()
        let throttler = LoginThrottler(now: { clock.now })
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<1000 {
                group.addTask { if case .granted = await throttler.reserve([("address:x", .perAddress)]) { true } else { false } }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == ThrottlePolicy.perAddress.freeAttempts)
    }

    @Test func reservationsCountBeforeTheCheckAndGiveBackOnSuccess() async throws {
        let clock = TestClock()
        let throttler = LoginThrottler(now: { clock.now })
        let keys: [(String, ThrottlePolicy)] = [("account:a", .perAccount)]
        var tickets: [ThrottleTicket] = []
        for _ in 0..<5 {
            guard case .granted(let ticket) = await throttler.reserve(keys) else { Issue.record("refused early"); return }
            tickets.append(ticket)
        }
        guard case .wait(let seconds) = await throttler.reserve(keys) else { Issue.record("sixth admitted"); return }
        #expect(seconds == 2)
        await throttler.giveBack(tickets[0])
        guard case .granted = await throttler.reserve(keys) else { Issue.record("a given-back attempt still counted"); return }
    }

    /// A spray of one-off keys (spoofed addresses, fresh chat sessions) does not grow the table
    /// for good: keys whose attempts have aged out are swept.
    @Test func keysWhoseAttemptsAgedOutAreForgotten() async throws {
        let clock = TestClock()
        let throttler = LoginThrottler(now: { clock.now })
        for index in 0..<30_000 { _ = await throttler.reserve([("address:\(index)", .perAddress)]) }
        // Still inside the window: every key is still needed.
        #expect(await throttler.keyCount == 30_000)
        clock.advance(by: ThrottlePolicy.perAddress.window + 60)
        _ = await throttler.reserve([("address:late", .perAddress)])
        #expect(await throttler.keyCount == 1)
    }
}
