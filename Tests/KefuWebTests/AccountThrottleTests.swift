import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import Testing

/// The customer-side brute-force limits as a client meets them (docs/accounts.md): they slow an
/// attacker down, answer 429 with Retry-After, and never lock the owner out for good.
@Suite struct AccountThrottleTests {
    static let password = "Throttled-pass-2026!"

    func login(_ client: any TestClientProtocol, _ email: String, _ password: String, from address: String) async throws -> TestResponse {
        try await client.json(
            .post, "/api/v1/accounts/sessions", body: #"{"email":"\#(email)","password":"\#(password)"}"#,
            headers: [HTTPField.Name("X-Forwarded-For")!: address])
    }

    @Test func failedLoginsSlowTheAccountDownThenLetTheOwnerIn() async throws {
        try await TestApp.run(trustProxy: true) { client, app in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"target@example.cn","password":"\#(Self.password)"}"#)
            // Five wrong passwords from five addresses: still the same answer.
            for attempt in 1...5 {
                #expect(try await login(client, "target@example.cn", "guess-\(attempt)", from: "198.51.100.\(attempt)").code == "invalid_credentials")
            }
            // The sixth waits, whoever sends it, even with the right password.
            let throttled = try await login(client, "target@example.cn", Self.password, from: "203.0.113.50")
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.code == "too_many_attempts")
            let wait = try #require(throttled.headers[.retryAfter].flatMap(Int.init))
            #expect((1...2).contains(wait))
            // Other accounts are not affected.
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"other@example.cn","password":"\#(Self.password)"}"#)
            #expect(try await login(client, "other@example.cn", Self.password, from: "198.51.100.1").status == .ok)
            // After the delay the owner gets in: a delay, never a lockout.
            app.throttleClock.advance(by: TimeInterval(wait) + 0.2)
            #expect(try await login(client, "target@example.cn", Self.password, from: "203.0.113.50").status == .ok)
        }
    }

    /// Each registration mails the address from the official support address: 3 per inbox
    /// (plus-tags folded) and 20 per client in 15 minutes, for taken and new addresses alike
    /// (an outsider mailed one inbox 25 times in seconds).
    @Test func registrationMailsAreLimitedPerInboxAndPerClient() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            func register(_ email: String, from address: String) async throws -> String {
                let response = try await client.json(
                    .post, "/api/v1/accounts", body: #"{"email":"\#(email)","password":"\#(Self.password)"}"#,
                    headers: [HTTPField.Name("X-Forwarded-For")!: address])
                return response.code ?? "\(response.status.code)"
            }
            var tagged: [String] = []
            for index in 0..<5 { tagged.append(try await register("regd+\(index)@victim.example", from: "203.0.113.\(index)")) }
            #expect(tagged == ["201", "201", "201", "too_many_attempts", "too_many_attempts"])
            var taken: [String] = []
            for index in 0..<4 { taken.append(try await register("regd+0@victim.example", from: "198.51.100.\(index)")) }
            #expect(taken.allSatisfy { $0 == "too_many_attempts" })
            var oneClient: [String] = []
            for index in 0..<22 { oneClient.append(try await register("person\(index)@example.org", from: "192.0.2.50")) }
            #expect(oneClient == Array(repeating: "201", count: 20) + ["too_many_attempts", "too_many_attempts"])
        }
    }

    @Test func oneAddressGuessingManyAccountsIsSlowedDown() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<21 {
                statuses.append(try await login(client, "probe\(index)@example.cn", "guess", from: "192.0.2.66").status)
            }
            #expect(statuses.prefix(20).allSatisfy { $0 == .unauthorized })
            #expect(statuses.last == .tooManyRequests)
            // Someone else, elsewhere, is not.
            #expect(try await login(client, "probe0@example.cn", "guess", from: "192.0.2.67").status == .unauthorized)
        }
    }

    func requestReset(_ client: any TestClientProtocol, _ email: String, from address: String) async throws -> String {
        let response = try await client.json(
            .post, "/api/v1/accounts/password-reset", body: #"{"email":"\#(email)"}"#, headers: [HTTPField.Name("X-Forwarded-For")!: address])
        return "\(response.status.code) \(response.code ?? response.text)"
    }

    @Test func resetRequestsAreLimitedPerAccountAndAnswerAlike() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"reset@example.cn","password":"\#(Self.password)"}"#)
            // Three per account in 15 minutes, whichever address asks, known or not.
            for email in ["reset@example.cn", "unknown@example.cn"] {
                var answers: [String] = []
                for index in 0..<4 { answers.append(try await requestReset(client, email, from: "192.0.2.\(index + 10)")) }
                #expect(answers == [#"202 {"ok":true}"#, #"202 {"ok":true}"#, #"202 {"ok":true}"#, "429 too_many_attempts"])
            }
        }
    }

    @Test func oneAddressMayAskForResetsForTwentyAccounts() async throws {
        // Customers behind one carrier NAT or office address do not lock each other out: the
        // address follows the per-address policy (20 free), not the per-account one (3).
        try await TestApp.run(trustProxy: true) { client, _ in
            var answers: [String] = []
            for index in 0..<21 { answers.append(try await requestReset(client, "nat\(index)@example.cn", from: "192.0.2.99")) }
            #expect(answers.prefix(20).allSatisfy { $0 == #"202 {"ok":true}"# })
            #expect(answers.last == "429 too_many_attempts")
        }
    }
}

/// The customers' password policy is the operator's to set (KEFU_PASSWORD_*); the pages say
/// what is configured and the API enforces exactly that.
@Suite struct ConfiguredPasswordPolicyTests {
    @Test func aLongerPassphraseWithoutCharacterKindsWhenSoConfigured() async throws {
        let policy = CustomerPasswordPolicy(minLength: 14, requireLetter: false, requireDigit: false, requireSymbol: false, historyDepth: 2)
        try await TestApp.run(customerPasswordPolicy: policy) { client, _ in
            let short = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"mo@example.cn","password":"lantern-moss"}"#)
            #expect((short.object["errors"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == ["password_too_short"])
            #expect(try await client.json(.post, "/api/v1/accounts", body: #"{"email":"mo@example.cn","password":"lantern quiet moss"}"#).status == .created)
            let zh = try await client.execute(uri: "/account/register", method: .get, headers: [.acceptLanguage: "zh-CN"]).text
            #expect(zh.contains("至少 14 个字符；不能是常见密码。"))
            let en = try await client.execute(uri: "/account/register", method: .get, headers: [.acceptLanguage: "en"]).text
            #expect(en.contains("At least 14 characters; not a common password."))
        }
        // The default names all three kinds.
        try await TestApp.run { client, _ in
            let en = try await client.execute(uri: "/account/register", method: .get, headers: [.acceptLanguage: "en"]).text
            #expect(en.contains("At least 10 characters with a letter, a digit and a symbol; not a common password."))
            let zh = try await client.execute(uri: "/account/register", method: .get, headers: [.acceptLanguage: "zh-CN"]).text
            #expect(zh.contains("至少 10 个字符，包含字母、数字和符号；不能是常见密码。"))
        }
    }
}
