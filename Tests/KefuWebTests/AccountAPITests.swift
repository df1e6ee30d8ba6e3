import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KefuCore
import KefuMail
import KefuStore
import NIOCore
import Testing

@testable import KefuWeb

@Suite struct AccountAPITests {
    /// The link in the newest queued mail to `address` (tests run no outbox sender).
    func link(_ client: any TestClientProtocol, to address: String, path: String) async throws -> String {
        let admin = try await client.login()
        for _ in 0..<50 {
            let outbox = try await client.json(.get, "/api/v1/outbox", token: admin).object["items"] as? [[String: Any]] ?? []
            for mail in outbox where (mail["recipients"] as? [String]) == [address] {
                let raw = try await client.json(.get, "/api/v1/outbox/\(mail["id"] as? String ?? "")/raw", token: admin).text
                let text = ParsedMail.parse(Array(raw.utf8)).text
                if let match = text.firstMatch(of: try Regex("\(path)\\?token=([A-Za-z0-9_-]+)")) {
                    return String(match.output[1].substring ?? "")
                }
            }
            try await Task.sleep(for: .milliseconds(50))  // a reset mail is queued just after the answer
        }
        throw TestFailure("no mail with \(path) for \(address)")
    }

    @Test func registerVerifyLogInAndNothingTellsWhoHasAnAccount() async throws {
        try await TestApp.run { client, _ in
            let weak = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"li.wei@example.cn","password":"li.wei"}"#)
            #expect(weak.code == "validation_failed")
            let codes = (weak.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(codes == ["password_too_short", "password_needs_digit", "password_contains_email"])  // "." is a symbol
            #expect((weak.object["detail"] as? String)?.contains("too short; needs a digit") == true)

            let body = #"{"email":"li.wei@example.cn","password":"钱包-Secure-2026!","locale":"zh-CN"}"#
            let created = try await client.json(.post, "/api/v1/accounts", body: body)
            #expect(created.status == .created)
            #expect(created.object["emailVerified"] as? Bool == false)
            // The same address again: the same kind of answer (the owner is told by mail).
            let again = try await client.json(.post, "/api/v1/accounts", body: body)
            #expect(again.status == .created)
            #expect(Set(again.object.keys) == Set(created.object.keys))
            #expect(again.object["id"] as? String != created.object["id"] as? String)

            let token = try await link(client, to: "li.wei@example.cn", path: "/account/verify")
            #expect(try await client.json(.post, "/api/v1/accounts/verify", body: #"{"token":"\#(token)"}"#).status == .ok)
            #expect(try await client.json(.post, "/api/v1/accounts/verify", body: #"{"token":"\#(token)"}"#).code == "invalid_token")

            let wrong = try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"li.wei@example.cn","password":"nope-nope-1!"}"#)
            let unknown = try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"ghost@example.cn","password":"nope-nope-1!"}"#)
            #expect(wrong.code == "invalid_credentials" && unknown.code == "invalid_credentials")
            #expect(wrong.text == unknown.text)
            let login = try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"LI.WEI@example.cn","password":"钱包-Secure-2026!"}"#)
            let session = try #require(login.object["token"] as? String)
            let me = try await client.json(.get, "/api/v1/accounts/me", token: session)
            #expect(me.object["email"] as? String == "li.wei@example.cn")
            #expect(me.object["emailVerified"] as? Bool == true)
            // An agent token is not a customer token, and the reverse.
            #expect(try await client.json(.get, "/api/v1/me", token: session).code == "unauthenticated")
            #expect(try await client.json(.delete, "/api/v1/accounts/sessions/current", token: session).status == .ok)
            #expect(try await client.json(.get, "/api/v1/accounts/me", token: session).code == "unauthenticated")
        }
    }

    @Test func aPasswordResetWorksOnceEndsSessionsAndPausesWithdrawals() async throws {
        try await TestApp.run { client, app in
            _ = try await client.json(.post, "/api/v1/accounts", body: #"{"email":"chen@example.cn","password":"Original-pass-2026!"}"#)
            let login = try await client.json(.post, "/api/v1/accounts/sessions", body: #"{"email":"chen@example.cn","password":"Original-pass-2026!"}"#)
            let session = try #require(login.object["token"] as? String)

            let known = try await client.json(.post, "/api/v1/accounts/password-reset", body: #"{"email":"chen@example.cn"}"#)
            let unknown = try await client.json(.post, "/api/v1/accounts/password-reset", body: #"{"email":"nobody@example.cn"}"#)
            #expect(known.status == .accepted && unknown.status == .accepted)
            #expect(known.text == unknown.text)

            let token = try await link(client, to: "chen@example.cn", path: "/account/reset")
            let reused = try await client.json(
                .post, "/api/v1/accounts/password-reset/confirm", body: #"{"token":"\#(token)","password":"Original-pass-2026!"}"#)
            #expect((reused.object["errors"] as? [[String: Any]])?.first?["code"] as? String == "password_reused")
            let common = try await client.json(.post, "/api/v1/accounts/password-reset/confirm", body: #"{"token":"\#(token)","password":"password"}"#)
            #expect(Set((common.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }).contains("password_common"))

            // 50 confirms at once: exactly one sets the password.
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await client.json(
                            .post, "/api/v1/accounts/password-reset/confirm", body: #"{"token":"\#(token)","password":"Brand-new-pass-\#(index)!"}"#
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .badRequest }.count == 49)

            #expect(try await client.json(.get, "/api/v1/accounts/me", token: session).code == "unauthenticated")
            let account = try #require(try await app.store.accountCredentials(email: "chen@example.cn")?.0)
            let lock = try #require(account.withdrawalsLockedUntil)
            #expect(lock.timeIntervalSinceNow > 23 * 3600)
            #expect(try await app.store.accountEvents(accountId: account.id, limit: 10).first?.kind == .passwordChanged)
        }
    }
}
