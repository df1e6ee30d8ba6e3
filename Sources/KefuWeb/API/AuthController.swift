import Foundation
import HTTPTypes
import Hummingbird
import KefuAccounts
import KefuCore
import KefuStore

/// `POST /api/v1/auth/login`, logout, `GET /api/v1/me` and the agent's own 2FA enrolment.
struct AuthController {
    let auth: AgentAuthService
    let limits: BodyLimits

    struct LoginBody: Decodable {
        let email: String
        let password: String
        let otp: String?
        /// From an earlier sign-in on this device (`KnownDevices`).
        let deviceToken: String?
    }

    struct LoginResponse: Encodable, Sendable {
        let token: String
        let expiresAt: Date
        let agent: Agent
        let twoFactorEnrollmentRequired: Bool
        let deviceToken: String
    }

    struct MeResponse: Encodable, Sendable {
        let agent: Agent
        let twoFactorEnrollmentRequired: Bool
    }

    struct CodeBody: Decodable {
        let code: String
    }

    struct PasswordBody: Decodable {
        let currentPassword: String
        let newPassword: String
    }

    struct DisableBody: Decodable {
        let password: String
        let code: String
    }

    struct Done: Encodable, Sendable {
        let ok: Bool
    }

    func addPublicRoutes(to group: CatalogedGroup<KefuRequestContext>) {
        group.post("auth/login") { request, context in
            let body = try await request.decodeJSON(LoginBody.self, limit: limits.small)
            var failure = ValidationFailure()
            if body.email.isEmpty || body.email.count > 254 { failure.add("email", .invalid) }
            if body.password.isEmpty { failure.add("password", .required) }
            if body.password.count > 1024 { failure.add("password", .tooLong(max: 1024)) }
            try failure.throwIfAny()
            let success = try await auth.login(
                email: body.email, password: body.password, otp: body.otp, device: body.deviceToken, kind: .api,
                userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(
                LoginResponse(
                    token: success.token, expiresAt: success.expiresAt, agent: success.identity.agent,
                    twoFactorEnrollmentRequired: success.identity.mustEnrollTwoFactor, deviceToken: success.deviceToken))
        }
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.post("auth/logout") { request, context in
            if let token = Self.presentedToken(request) {
                try await auth.logout(token: token, agent: context.agent, address: context.peerAddress)
            }
            return Response(status: .noContent)
        }
        group.get("me") { _, context in
            JSONResponse(MeResponse(agent: context.agent, twoFactorEnrollmentRequired: context.identity.mustEnrollTwoFactor))
        }
        group.post("me/password") { request, context in
            let body = try await request.decodeJSON(PasswordBody.self, limit: limits.small)
            try await auth.changePassword(
                identity: context.identity, current: body.currentPassword, new: body.newPassword, address: context.peerAddress)
            return JSONResponse(Done(ok: true))
        }
        group.post("me/2fa/setup") { _, context in
            JSONResponse(try await auth.beginEnrollment(agent: context.agent, address: context.peerAddress))
        }
        group.post("me/2fa/confirm") { request, context in
            let body = try await request.decodeJSON(CodeBody.self, limit: limits.small)
            try await auth.confirmEnrollment(agent: context.agent, code: body.code, address: context.peerAddress)
            return JSONResponse(Done(ok: true))
        }
        group.post("me/2fa/disable") { request, context in
            let body = try await request.decodeJSON(DisableBody.self, limit: limits.small)
            try await auth.disableTwoFactor(agent: context.agent, password: body.password, code: body.code, address: context.peerAddress)
            return JSONResponse(Done(ok: true))
        }
    }

    /// The token this request authenticated with, to revoke exactly that session on logout.
    static func presentedToken(_ request: Request) -> String? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            return String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        }
        return request.cookies[ConsoleCookie.session]?.value
    }
}

/// Body size limits per kind of request.
struct BodyLimits: Sendable {
    let json: Int
    var small: Int { min(json, 16 << 10) }
}
