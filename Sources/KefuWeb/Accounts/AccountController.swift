import Foundation
import Hummingbird
import KefuAccounts
import KefuCore
import KefuStore

/// `/api/v1/accounts…`: the customer's own account API. Customers authenticate with the token
/// from `POST /api/v1/accounts/sessions` (`Authorization: Bearer …`), separate from agents'.
struct AccountController {
    let service: AccountService
    let resets: TwoFactorResets
    let widgetIdentity: WidgetIdentity
    let limits: BodyLimits

    struct RegisterBody: Decodable {
        let email: String
        let password: String
        let locale: String?
    }
    struct LoginBody: Decodable {
        let email: String
        let password: String
        let otp: String?
        /// From an earlier sign-in on this device (`KnownDevices`).
        let deviceToken: String?
    }
    struct EmailBody: Decodable { let email: String }
    struct TokenBody: Decodable { let token: String }
    struct ResetBody: Decodable {
        let token: String
        let password: String
        let otp: String?
    }
    struct CodeBody: Decodable { let code: String }
    struct AntiPhishingBody: Decodable { let code: String? }
    struct EmailChangeBody: Decodable {
        let email: String
        let password: String
    }
    struct SessionItem: Encodable, Sendable {
        let id: String
        let userAgent: String?
        let clientAddress: String?
        let createdAt: Date
        let lastSeenAt: Date
        let current: Bool
    }
    struct SessionList: Encodable, Sendable { let items: [SessionItem] }
    struct DisableBody: Decodable {
        let password: String
        let code: String
    }
    struct Done: Encodable, Sendable { let ok = true }
    struct IdentityToken: Encodable, Sendable {
        let token: String
        let expiresAt: Date
    }
    /// What the customer sees of a 2FA reset support arranged: not the staff's reason or names.
    struct ResetView: Encodable, Sendable {
        let id: String
        let status: TwoFactorReset.Status
        let appliesAt: Date?
        let createdAt: Date
    }

    func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    /// The signed-in customer behind the bearer token (`unauthenticated` otherwise).
    func customer(_ request: Request) async throws -> (session: AccountSession, account: Account) {
        guard let token = bearer(request) else { throw APIError.unauthenticated }
        return try await service.session(token: token)
    }

    func addRoutes(to group: CatalogedGroup<KefuRequestContext>) {
        group.post("accounts") { request, context in
            let body = try await request.decodeJSON(RegisterBody.self, limit: limits.small)
            return JSONResponse(
                try await service.register(
                    email: body.email, password: body.password, locale: body.locale, userAgent: request.headers[.userAgent],
                    address: context.peerAddress),
                status: .created)
        }
        group.post("accounts/verify") { request, context in
            let body = try await request.decodeJSON(TokenBody.self, limit: limits.small)
            try await service.verifyEmail(token: body.token, userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(Done())
        }
        group.post("accounts/sessions") { request, context in
            let body = try await request.decodeJSON(LoginBody.self, limit: limits.small)
            return JSONResponse(
                try await service.login(
                    email: body.email, password: body.password, otp: body.otp, device: body.deviceToken, userAgent: request.headers[.userAgent],
                    address: context.peerAddress, requestId: context.id))
        }
        group.delete("accounts/sessions/current") { request, _ in
            guard let token = bearer(request) else { throw APIError.unauthenticated }
            _ = try await service.session(token: token)
            try await service.logout(token: token)
            return JSONResponse(Done())
        }
        group.get("accounts/me") { request, _ in
            return JSONResponse(try await customer(request).account)
        }
        group.post("accounts/password-reset") { request, context in
            let body = try await request.decodeJSON(EmailBody.self, limit: limits.small)
            try await service.requestPasswordReset(email: body.email, userAgent: request.headers[.userAgent], address: context.peerAddress, requestId: context.id)
            return JSONResponse(Done(), status: .accepted)
        }
        group.post("accounts/password-reset/confirm") { request, context in
            let body = try await request.decodeJSON(ResetBody.self, limit: limits.small)
            try await service.confirmPasswordReset(
                token: body.token, password: body.password, otp: body.otp, userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(Done())
        }
        group.get("accounts/me/sessions") { request, _ in
            let (current, account) = try await customer(request)
            let items = try await service.store.accountSessions(accountId: account.id).map {
                SessionItem(
                    id: $0.id, userAgent: $0.userAgent, clientAddress: $0.clientAddress, createdAt: $0.createdAt, lastSeenAt: $0.lastSeenAt,
                    current: $0.id == current.id)
            }
            return JSONResponse(SessionList(items: items))
        }
        group.delete("accounts/me/sessions/{sessionId}") { request, context in
            let account = try await customer(request).account
            let id = try context.parameters.id("sessionId", as: Identifier<AccountSessionTag>.self, thing: "session")
            guard try await service.store.revokeAccountSession(id: id.rawValue, accountId: account.id) else { throw APIError.notFound("session") }
            return JSONResponse(Done())
        }
        group.post("accounts/me/sessions/revoke-others") { request, context in
            let (current, account) = try await customer(request)
            try await service.store.revokeAccountSessions(
                accountId: account.id, except: current.id,
                event: AccountEvent(kind: .sessionsRevoked, clientAddress: context.peerAddress, userAgent: request.headers[.userAgent], createdAt: Date()))
            return JSONResponse(Done())
        }
        group.post("accounts/me/email") { request, context in
            let account = try await customer(request).account
            let body = try await request.decodeJSON(EmailChangeBody.self, limit: limits.small)
            try await service.requestEmailChange(
                account, newEmail: body.email, password: body.password, userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(Done(), status: .accepted)
        }
        group.post("accounts/email/confirm") { request, context in
            let body = try await request.decodeJSON(TokenBody.self, limit: limits.small)
            try await service.confirmEmailChange(token: body.token, userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(Done())
        }
        group.post("accounts/wasnt-me") { request, context in
            let body = try await request.decodeJSON(TokenBody.self, limit: limits.small)
            try await service.wasntMe(token: body.token, userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(Done())
        }
        group.put("accounts/me/anti-phishing-code") { request, context in
            let account = try await customer(request).account
            let body = try await request.decodeJSON(AntiPhishingBody.self, limit: limits.small)
            return JSONResponse(
                try await service.setAntiPhishingCode(account, code: body.code, userAgent: request.headers[.userAgent], address: context.peerAddress))
        }
        group.post("accounts/me/2fa/setup") { request, _ in
            return JSONResponse(try await service.twoFactor.begin(try await customer(request).account))
        }
        group.post("accounts/me/2fa/confirm") { request, context in
            let account = try await customer(request).account
            let body = try await request.decodeJSON(CodeBody.self, limit: limits.small)
            return JSONResponse(
                try await service.twoFactor.confirm(account, code: body.code, address: context.peerAddress, userAgent: request.headers[.userAgent]))
        }
        group.post("accounts/me/2fa/disable") { request, context in
            let account = try await customer(request).account
            let body = try await request.decodeJSON(DisableBody.self, limit: limits.small)
            try await service.disableTwoFactor(
                account, password: body.password, code: body.code, userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(Done())
        }
        // For the chat widget on the wallet's page: who is signed in, signed by Kefu, 10 minutes.
        group.post("accounts/me/widget-identity") { request, _ in
            let (session, account) = try await customer(request)
            let issued = widgetIdentity.issue(accountId: account.id, sessionId: session.id, now: Date())
            return JSONResponse(IdentityToken(token: issued.token, expiresAt: issued.expiresAt))
        }
        group.get("accounts/me/2fa-reset") { request, _ in
            let account = try await customer(request).account
            guard let reset = try await resets.open(for: account) else { throw APIError.notFound("two_factor_reset") }
            return JSONResponse(ResetView(id: reset.id, status: reset.status, appliesAt: reset.appliesAt, createdAt: reset.createdAt))
        }
        group.post("accounts/me/2fa-reset/cancel") { request, context in
            let account = try await customer(request).account
            try await resets.cancelOpen(account, userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(Done())
        }
        group.post("accounts/2fa-reset/cancel") { request, context in
            let body = try await request.decodeJSON(TokenBody.self, limit: limits.small)
            try await resets.cancel(token: body.token, userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(Done())
        }
    }
}

enum AccountSessionTag {}
