import Foundation
import HTTPTypes
import Hummingbird
import KefuAccounts
import KefuCore
import KefuRisk
import KefuStore

/// Names of the console's cookies.
enum ConsoleCookie {
    static let session = "kefu_session"
    static let pending = "kefu_2fa"
    static let language = "kefu_lang"
    /// Proof that this browser signed in as the agent before (`KnownDevices`).
    static let device = "kefu_agent_device"
}

/// Finds who is calling: an agent's bearer token (API clients), a service token (`kfs_…`, the
/// wallet's backend; sets `context.service`) or the console's session cookie. Cookie
/// callers must send the CSRF token on unsafe methods (header `X-CSRF-Token`, or the console
/// form field checked by the console itself). Sets `context.identity`; never rejects on its own,
/// so public routes can share it. `AuthenticatedContext` rejects requests without an identity.
struct AgentAuthMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext
    let auth: AgentAuthService
    let services: any ServiceTokenRepository
    /// API routes check the CSRF header here; console forms carry it in the body instead.
    let checkCSRFHeader: Bool

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            // An unknown or expired token leaves the request anonymous: public routes (login)
            // still work, and authenticated ones answer `unauthenticated`.
            if header.lowercased().hasPrefix("bearer ") {
                let token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
                if token.hasPrefix(ServiceTokens.prefix) {
                    context.service = token.count <= 200 ? try await services.serviceToken(tokenHash: TokenDigest.of(token)) : nil
                } else {
                    context.identity = try await auth.identity(token: token)
                }
            }
        } else if let cookie = request.cookies[ConsoleCookie.session]?.value,
            let identity = try await auth.identity(token: cookie)
        {
            if checkCSRFHeader, !request.method.isSafe {
                guard let expected = identity.csrfToken, let sent = request.headers[Self.csrfHeader],
                    constantTimeEquals(expected, sent)
                else { throw APIError.csrf }
            }
            context.identity = identity
        }
        return try await next(request, context)
    }
}

/// Account set-up comes first: an agent with a one-time password must choose their own, and
/// while admins require 2FA an agent without it must enrol. Until then only the agent's own
/// account routes (`/me…`) and logout work.
struct AccountSetupGate: RouterMiddleware {
    typealias Context = AuthenticatedContext
    let allowedPrefixes: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !allowedPrefixes.contains(where: { request.uri.path.hasPrefix($0) }) {
            if context.agent.mustChangePassword { throw APIError.passwordChangeRequired }
            if context.identity.mustEnrollTwoFactor { throw APIError.twoFactorEnrollmentRequired }
        }
        return try await next(request, context)
    }
}

extension HTTPRequest.Method {
    var isSafe: Bool { self == .get || self == .head || self == .options }
}
