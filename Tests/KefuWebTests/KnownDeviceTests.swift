import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import Testing

@testable import KefuAccounts
@testable import KefuWeb

/// A stranger who keeps failing against an account slows strangers down but never keeps the
/// owner out on a device they signed in from before (docs/security.md, "Known devices").
@Suite struct KnownDeviceTests {
    static let password = "Known-device-2026!"

    func from(_ address: String) -> HTTPFields { [HTTPField.Name("X-Forwarded-For")!: address] }

    func customerLogin(_ client: any TestClientProtocol, _ email: String, _ password: String, device: String? = nil, from address: String) async throws -> TestResponse {
        let device = device.map { #","deviceToken":"\#($0)""# } ?? ""
        return try await client.json(
            .post, "/api/v1/accounts/sessions", body: #"{"email":"\#(email)","password":"\#(password)"\#(device)}"#, headers: from(address))
    }

    @Test func anAttackerKeepingTheAccountBusyDoesNotKeepTheOwnerOutOnAKnownDevice() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"owner@example.cn","password":"\#(Self.password)"}"#)
            let first = try await customerLogin(client, "owner@example.cn", Self.password, from: "198.51.100.7")
            let device = try #require(first.object["deviceToken"] as? String)
            // The attacker uses up the account's free attempts, the last from the owner's own address.
            for attempt in 1...6 {
                _ = try await customerLogin(client, "owner@example.cn", "guess-\(attempt)", from: attempt == 6 ? "198.51.100.7" : "203.0.113.\(attempt)")
            }
            // A stranger now waits, even with the right password...
            #expect(try await customerLogin(client, "owner@example.cn", Self.password, from: "203.0.113.9").status == .tooManyRequests)
            // ...the owner's device does not, whatever address it comes from.
            let owner = try await customerLogin(client, "owner@example.cn", Self.password, device: device, from: "198.51.100.7")
            #expect(owner.status == .ok)
            #expect(owner.object["deviceToken"] as? String == device)
        }
    }

    /// Which budget a guess is counted on: only a token earned by this account, with its
    /// password as it is now, picks the device's own (no clock involved, so it holds however
    /// slowly the machine runs).
    @Test func onlyATokenEarnedByTheAccountWithItsCurrentPasswordCountsOnItsOwn() {
        let devices = KnownDevices(secretKey: Data(repeating: 7, count: 32))
        let account = "customer:owner@example.cn"
        let stamp = "$2b$04$current-password-hash"
        let owner = devices.token(account: account, stamp: stamp)
        let mallory = devices.token(account: "customer:mallory@example.cn", stamp: stamp)
        let shared = [account, "address:192.0.2.1"]
        func keys(_ token: String?, stamp: String? = stamp) -> [String] {
            devices.guessKeys(account: account, address: "192.0.2.1", device: token, stamp: stamp).map(\.0)
        }
        let id = String(owner.prefix { $0 != "." })
        #expect(keys(owner) == ["\(account)#device:\(id)"])
        #expect(keys(nil) == shared)
        #expect(keys(mallory) == shared)
        #expect(keys(id + ".AAAAAAAAAAAAAAAAAAAAAA") == shared)
        #expect(keys(String(repeating: "a", count: 101)) == shared)
        // A new password (a reset by mail) voids every token; an account that does not exist has none.
        #expect(keys(owner, stamp: "$2b$04$new-password-hash") == shared)
        #expect(keys(owner, stamp: nil) == shared)
        // Another key (another installation) does not accept it either; the same account keeps its id.
        #expect(KnownDevices(secretKey: Data(repeating: 8, count: 32)).deviceId(owner, account: account, stamp: stamp) == nil)
        #expect(devices.token(account: account, stamp: stamp, current: owner) == owner)
        // Agents and customers are different accounts even with one address.
        #expect(devices.deviceId(owner, account: "account:owner@example.cn", stamp: stamp) == nil)
    }

    @Test func aKnownDeviceStillMeetsTheAccountLimitOnItsOwnGuesses() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"stolen@example.cn","password":"\#(Self.password)"}"#)
            let device = try #require(
                try await customerLogin(client, "stolen@example.cn", Self.password, from: "198.51.100.8").object["deviceToken"] as? String)
            // Someone holding the device token but not the password gets no more than anyone else.
            var statuses: [HTTPResponse.Status] = []
            for attempt in 1...6 {
                statuses.append(try await customerLogin(client, "stolen@example.cn", "guess-\(attempt)", device: device, from: "192.0.2.\(attempt)").status)
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == .unauthorized })
            #expect(statuses.last == .tooManyRequests)
        }
    }

    @Test func anAgentSignsInToTheConsoleFromAKnownBrowserWhileTheAccountIsUnderAttack() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            #expect(agent.cookies[ConsoleCookie.device]?.isEmpty == false)
            for attempt in 1...6 {
                _ = try await client.json(
                    .post, "/api/v1/auth/login", body: #"{"email":"\#(TestApp.agentEmail)","password":"guess \#(attempt)"}"#, headers: from("203.0.113.\(attempt)"))
            }
            // A browser that never signed in waits...
            var stranger = ConsoleBrowser(client: client)
            let page = try await stranger.get("/console/login")
            let refused = try await stranger.post(
                "/console/login", ["_csrf": try #require(ConsoleBrowser.csrf(in: page.text)), "email": TestApp.agentEmail, "password": TestApp.agentPassword])
            #expect(refused.status == .tooManyRequests)
            // ...the agent's own browser does not (signed out first: only the device cookie is left).
            agent.cookies[ConsoleCookie.session] = nil
            let again = try await agent.get("/console/login")
            let signedIn = try await agent.post(
                "/console/login", ["_csrf": try #require(ConsoleBrowser.csrf(in: again.text)), "email": TestApp.agentEmail, "password": TestApp.agentPassword])
            #expect(signedIn.status == .seeOther)
            #expect(agent.cookies[ConsoleCookie.session]?.isEmpty == false)
        }
    }

    @Test func aPasswordResetByMailClearsStrangersFailures() async throws {
        try await TestApp.run(trustProxy: true) { client, _ in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"reset@example.cn","password":"\#(Self.password)"}"#)
            let oldDevice = try #require(
                try await customerLogin(client, "reset@example.cn", Self.password, from: "198.51.100.20").object["deviceToken"] as? String)
            for attempt in 1...6 {
                _ = try await customerLogin(client, "reset@example.cn", "guess-\(attempt)", from: "203.0.113.\(attempt)")
            }
            #expect(try await customerLogin(client, "reset@example.cn", Self.password, from: "198.51.100.20").status == .tooManyRequests)
            let asked = try await client.json(
                .post, "/api/v1/accounts/password-reset", body: #"{"email":"reset@example.cn"}"#, headers: from("198.51.100.20"))
            #expect(asked.status == .accepted)
            let token = try await AccountAPITests().link(client, to: "reset@example.cn", path: "/account/reset")
            let newPassword = "Brand-new-pass-2026!"
            let confirmed = try await client.json(
                .post, "/api/v1/accounts/password-reset/confirm", body: #"{"token":"\#(token)","password":"\#(newPassword)"}"#, headers: from("198.51.100.20"))
            #expect(confirmed.status == .ok)
            #expect(try await customerLogin(client, "reset@example.cn", newPassword, from: "198.51.100.20").status == .ok)
            // A token from before the reset is a stranger's now: someone who stole it with the
            // old password gets no budget of their own.
            for attempt in 1...6 {
                _ = try await customerLogin(client, "reset@example.cn", "guess-\(attempt)", from: "203.0.113.\(attempt + 10)")
            }
            #expect(try await customerLogin(client, "reset@example.cn", "guess", device: oldDevice, from: "192.0.2.30").status == .tooManyRequests)
        }
    }

    /// Login CSRF with a planted cookie: the double-submit token matches, but the browser says
    /// the post came from another origin.
    @Test func formPostsFromAnotherOriginAreRefusedEvenWithAMatchingToken() async throws {
        try await TestApp.run { client, _ in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"csrf@example.cn","password":"\#(Self.password)"}"#)
            for (path, fields) in [("/account/login", ["email": "csrf@example.cn", "password": Self.password, "otp": ""]),
                                   ("/console/login", ["email": TestApp.agentEmail, "password": TestApp.agentPassword])] {
                var browser = ConsoleBrowser(client: client)
                let page = try await browser.get(path)
                var form = fields
                form["_csrf"] = try #require(ConsoleBrowser.csrf(in: page.text))
                for extra: HTTPFields in [
                    [.origin: "https://evil.example.cn"], [.origin: "null"], [HTTPField.Name("Sec-Fetch-Site")!: "same-site"],
                    [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"],
                    // Another port of the same host is another origin (and can plant cookies here).
                    [.origin: "http://127.0.0.1:9999"], [.origin: "https://127.0.0.1"], [.origin: "http://user@127.0.0.1:8080"],
                    // Both headers must agree: an own Origin does not excuse a cross-site fetch.
                    [.origin: "http://127.0.0.1:8080", HTTPField.Name("Sec-Fetch-Site")!: "cross-site"],
                ] {
                    let refused = try await browser.post(path, form, extra: extra)
                    #expect(refused.status == .forbidden, "\(path) \(extra)")
                }
                #expect(browser.cookies[AccountPagesController.sessionCookie] == nil && browser.cookies[ConsoleCookie.session] == nil)
                // The same post from Kefu's own page goes through.
                let own = try await browser.post(path, form, extra: [.origin: "http://127.0.0.1:8080", HTTPField.Name("Sec-Fetch-Site")!: "same-origin"])
                #expect(own.status == .seeOther, "\(path)")
            }
        }
    }

    /// Origins compare as browsers write them: scheme, host and port, default ports dropped.
    @Test func originsAreComparedWhole() {
        func origin(_ text: String) -> String? { URL(string: text).flatMap(OwnOrigin.origin(of:)) }
        #expect(origin("HTTPS://Kefu.Example:443") == "https://kefu.example")
        #expect(origin("http://kefu.example:80") == "http://kefu.example")
        #expect(origin("http://kefu.example:8080") == "http://kefu.example:8080")
        #expect(origin("http://[::1]:8080") == "http://[::1]:8080")
        #expect(origin("http://user@kefu.example") == nil)
        #expect(origin("null") == nil)
        #expect(origin("ws://kefu.example") == nil)
        #expect(OwnOrigin(publicURL: "https://support.wallet.example/").publicOrigin == "https://support.wallet.example")
    }
}
