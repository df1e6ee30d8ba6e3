import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuAccounts
import KefuCore
import KefuStore
import KefuWeb
import Testing

@Suite struct AuthAPITests {
    @Test func loginReturnsATokenThatIdentifiesTheAgent() async throws {
        try await TestApp.run { client, _ in
            let token = try await client.login()
            let me = try await client.json(.get, "/api/v1/me", token: token)
            #expect(me.status == .ok)
            let agent = me.object["agent"] as? [String: Any]
            #expect(agent?["email"] as? String == TestApp.adminEmail)
            #expect(agent?["role"] as? String == "admin")
            #expect(agent?["passwordHash"] == nil)
        }
    }

    @Test func unknownEmailAndWrongPasswordLookTheSame() async throws {
        try await TestApp.run { client, _ in
            let wrong = try await client.json(.post, "/api/v1/auth/login", body: #"{"email":"admin@kefu.test","password":"nope nope nope"}"#)
            let unknown = try await client.json(.post, "/api/v1/auth/login", body: #"{"email":"ghost@kefu.test","password":"nope nope nope"}"#)
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            #expect(wrong.text == unknown.text)
            #expect(wrong.headers[.contentType] == "application/problem+json")
            #expect(wrong.code == "invalid_credentials")
        }
    }

    @Test func logoutRevokesTheToken() async throws {
        try await TestApp.run { client, _ in
            let token = try await client.login()
            #expect(try await client.json(.post, "/api/v1/auth/logout", token: token).status == .noContent)
            let after = try await client.json(.get, "/api/v1/me", token: token)
            #expect(after.status == .unauthorized)
            #expect(after.code == "unauthenticated")
        }
    }

    @Test func expiredTokensAreRejected() async throws {
        try await TestApp.run(apiTokenLifetime: -1) { client, _ in
            let token = try await client.login()
            let me = try await client.json(.get, "/api/v1/me", token: token)
            #expect(me.status == .unauthorized)
            #expect(me.code == "unauthenticated")
        }
    }

    @Test func repeatedFailuresAreThrottledPerAccountWhetherOrNotItExists() async throws {
        try await TestApp.run { client, _ in
            for email in ["agent@kefu.test", "nobody@kefu.test"] {
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<7 {
                    statuses.append(try await client.json(.post, "/api/v1/auth/login", body: #"{"email":"\#(email)","password":"wrong password!"}"#).status)
                }
                #expect(statuses.prefix(5).allSatisfy { $0 == .unauthorized })
                #expect(statuses.last == .tooManyRequests)
                let throttled = try await client.json(.post, "/api/v1/auth/login", body: #"{"email":"\#(email)","password":"wrong password!"}"#)
                #expect(throttled.code == "too_many_attempts")
                #expect(throttled.headers[.retryAfter] != nil)
                // Even the right password waits while the account is throttled (asked at once: a
                // loaded machine must not let the wait run out first).
                if email == "agent@kefu.test" {
                    let right = try await client.json(.post, "/api/v1/auth/login", body: #"{"email":"agent@kefu.test","password":"another long passphrase"}"#)
                    #expect(right.status == .tooManyRequests)
                }
            }
        }
    }

    @Test func twoFactorEnrolmentAndLogin() async throws {
        try await TestApp.run { client, app in
            let token = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            let setup = try await client.json(.post, "/api/v1/me/2fa/setup", token: token)
            #expect(setup.status == .ok)
            let uri = try #require(setup.object["otpauthUri"] as? String)
            #expect(uri.hasPrefix("otpauth://totp/Kefu:agent@kefu.test?secret="))
            #expect((setup.object["qrSvg"] as? String)?.hasPrefix("<svg") == true)
            let secret = try TOTPTestSupport.secret(fromURI: uri)

            let wrong = try await client.json(.post, "/api/v1/me/2fa/confirm", token: token, body: #"{"code":"000000"}"#)
            #expect(wrong.status == .unauthorized)
            let step = TOTPService.step(at: Date())
            let confirm = try await client.json(
                .post, "/api/v1/me/2fa/confirm", token: token, body: #"{"code":"\#(TOTPService().code(secret: secret, step: step))"}"#)
            #expect(confirm.status == .ok)

            let withoutCode = try await client.json(.post, "/api/v1/auth/login", body: #"{"email":"agent@kefu.test","password":"another long passphrase"}"#)
            #expect(withoutCode.code == "otp_required")
            // The code that confirmed enrolment cannot also log in (replay).
            let replay = try await client.json(
                .post, "/api/v1/auth/login",
                body: #"{"email":"agent@kefu.test","password":"another long passphrase","otp":"\#(TOTPService().code(secret: secret, step: step))"}"#)
            #expect(replay.code == "invalid_otp")
            let next = TOTPService().code(secret: secret, step: step + 1)
            _ = try await client.login(TestApp.agentEmail, TestApp.agentPassword, otp: next)
            let again = try await client.json(
                .post, "/api/v1/auth/login", body: #"{"email":"agent@kefu.test","password":"another long passphrase","otp":"\#(next)"}"#)
            #expect(again.code == "invalid_otp")
            let stored = try await app.store.agent(id: try #require(app.store.credentials(email: TestApp.agentEmail)?.0.id))
            #expect(stored?.totpEnabled == true)
        }
    }

    @Test func invitedAgentsMustReplaceTheOneTimePasswordFirst() async throws {
        try await TestApp.run { client, _ in
            let admin = try await client.login()
            let invite = try await client.json(.post, "/api/v1/agents", token: admin, body: #"{"email":"li.na@kefu.test","name":"李娜"}"#)
            let oneTime = try #require(invite.object["oneTimePassword"] as? String)
            let first = try await client.login("li.na@kefu.test", oneTime)
            let second = try await client.login("li.na@kefu.test", oneTime)
            let blocked = try await client.json(.get, "/api/v1/conversations", token: first)
            #expect(blocked.code == "password_change_required")
            let me = try await client.json(.get, "/api/v1/me", token: first)
            #expect((me.object["agent"] as? [String: Any])?["mustChangePassword"] as? Bool == true)

            let weak = try await client.json(
                .post, "/api/v1/me/password", token: first, body: #"{"currentPassword":"\#(oneTime)","newPassword":"li.na-2026"}"#)
            let codes = (weak.object["errors"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
            #expect(codes == ["too_short", "contains_email"])
            let wrongCurrent = try await client.json(
                .post, "/api/v1/me/password", token: first, body: #"{"currentPassword":"guess","newPassword":"plum blossom in winter"}"#)
            #expect((wrongCurrent.object["errors"] as? [[String: Any]])?.first?["name"] as? String == "currentPassword")

            let changed = try await client.json(
                .post, "/api/v1/me/password", token: first, body: #"{"currentPassword":"\#(oneTime)","newPassword":"plum blossom in winter"}"#)
            #expect(changed.status == .ok)
            #expect(try await client.json(.get, "/api/v1/conversations", token: first).status == .ok)
            // Every other session ends with the change; the old password no longer works.
            #expect(try await client.json(.get, "/api/v1/me", token: second).status == .unauthorized)
            let old = try await client.json(.post, "/api/v1/auth/login", body: #"{"email":"li.na@kefu.test","password":"\#(oneTime)"}"#)
            #expect(old.code == "invalid_credentials")
            _ = try await client.login("li.na@kefu.test", "plum blossom in winter")
        }
    }

    @Test func aStaleBearerTokenDoesNotBlockLoggingIn() async throws {
        try await TestApp.run { client, _ in
            let response = try await client.json(
                .post, "/api/v1/auth/login", body: #"{"email":"admin@kefu.test","password":"correct horse battery"}"#,
                headers: [.authorization: "Bearer revoked-long-ago"])
            #expect(response.status == .ok)
        }
    }

    @Test func adminsCanRequireTwoFactorForEveryone() async throws {
        try await TestApp.run { client, _ in
            let admin = try await client.login()
            let set = try await client.json(.patch, "/api/v1/settings/security", token: admin, body: #"{"requireTwoFactor":true}"#)
            #expect(set.status == .ok)
            let agentToken = try await client.login(TestApp.agentEmail, TestApp.agentPassword)
            let me = try await client.json(.get, "/api/v1/me", token: agentToken)
            #expect(me.object["twoFactorEnrollmentRequired"] as? Bool == true)
            let blocked = try await client.json(.get, "/api/v1/conversations", token: agentToken)
            #expect(blocked.status == .forbidden)
            #expect(blocked.code == "two_factor_enrollment_required")
            #expect(try await client.json(.post, "/api/v1/me/2fa/setup", token: agentToken).status == .ok)
            let agentSet = try await client.json(.patch, "/api/v1/settings/security", token: agentToken, body: #"{"requireTwoFactor":false}"#)
            #expect(agentSet.status == .forbidden)
        }
    }
}

enum TOTPTestSupport {
    /// Recovers the raw secret from an otpauth URI the way an authenticator app does (Base32).
    static func secret(fromURI uri: String) throws -> String {
        let components = try #require(URLComponents(string: uri))
        let base32 = try #require(components.queryItems?.first { $0.name == "secret" }?.value)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = ""
        for character in base32 {
            let value = try #require(alphabet.firstIndex(of: character))
            bits += String(value, radix: 2).leftPadded(to: 5)
        }
        var bytes: [UInt8] = []
        var index = bits.startIndex
        while bits.distance(from: index, to: bits.endIndex) >= 8 {
            let next = bits.index(index, offsetBy: 8)
            bytes.append(UInt8(bits[index..<next], radix: 2)!)
            index = next
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
