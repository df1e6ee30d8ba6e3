import Foundation
import HTTPTypes
import Hummingbird
import KefuAccounts
import KefuCore

/// The console's sign-in: password page, then the code page for agents with 2FA, then a
/// session cookie. Also the language switch and sign-out.
struct ConsoleAuthController {
    let auth: AgentAuthService
    let resources: ConsoleResources
    let secureCookies: Bool
    let sessionLifetime: TimeInterval

    static let loginCSRFCookie = "kefu_login_csrf"

    func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secureCookies, httpOnly: true, sameSite: .lax)
    }

    func addPublicRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.get("login") { request, context in
            if context.identity != nil { return redirect("/console") }
            return try loginPage(request, template: "login", error: nil, email: "")
        }
        group.post("login") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: request.cookies[Self.loginCSRFCookie]?.value)
            let email = form["email"] ?? ""
            do {
                let (agent, credentials) = try await auth.checkPassword(
                    email: email, password: form["password"] ?? "", address: context.peerAddress, device: Self.device(request))
                if agent.totpEnabled {
                    var response = redirect("/console/login/2fa")
                    response.setCookie(cookie(ConsoleCookie.pending, auth.pendingTicket(for: agent), maxAge: 300))
                    return response
                }
                return try await startSession(agent: agent, credentials: credentials, request: request, context: context)
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try loginPage(request, template: "login", error: Self.messageKey(error), email: email, status: error.status)
            }
        }
        group.get("login/2fa") { request, _ in
            guard let ticket = request.cookies[ConsoleCookie.pending]?.value, try await auth.agentForPendingTicket(ticket) != nil
            else { return redirect("/console/login") }
            return try loginPage(request, template: "login-2fa", error: nil, email: "")
        }
        group.post("login/2fa") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: request.cookies[Self.loginCSRFCookie]?.value)
            guard let ticket = request.cookies[ConsoleCookie.pending]?.value,
                let (agent, credentials) = try await auth.agentForPendingTicket(ticket)
            else { return redirect("/console/login") }
            do {
                try await auth.checkOTP(
                    agent: agent, credentials: credentials, code: form["code"] ?? "", address: context.peerAddress, device: Self.device(request))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try loginPage(request, template: "login-2fa", error: Self.messageKey(error), email: "", status: error.status)
            }
            var response = try await startSession(agent: agent, credentials: credentials, request: request, context: context)
            response.setCookie(cookie(ConsoleCookie.pending, "", maxAge: 0))
            return response
        }
        // A link (the sign-in pages): this browser's language only. A GET changes nothing
        // stored; the signed-in switch below is a form.
        group.get("lang/{code}") { request, context in
            languageSwitch(request, to: try Self.language(context.parameters.get("code")))
        }
    }

    static func device(_ request: Request) -> String? { request.cookies[ConsoleCookie.device]?.value }

    static func language(_ code: String?) throws -> UILocale {
        guard let locale = UILocale(rawValue: code ?? "") else { throw APIError.routeNotFound }
        return locale
    }

    /// Back to the console page the switch was on, with the language cookie set.
    private func languageSwitch(_ request: Request, to locale: UILocale) -> Response {
        // Only ever go back to a console page of this site.
        var target = "/console"
        if let referer = request.headers[.referer], let url = URL(string: referer), url.path.hasPrefix("/console"),
            !url.path.hasPrefix("/console/lang")
        {
            target = url.path
        }
        var response = redirect(target)
        response.setCookie(cookie(ConsoleCookie.language, locale.rawValue, maxAge: 365 * 24 * 3600))
        return response
    }

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        // A signed-in agent's choice also follows them to other browsers: stored, so a POST.
        group.post("lang/{code}") { request, context in
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let locale = try Self.language(context.parameters.get("code"))
            try await auth.store.setLocale(id: context.agent.id, locale: locale.rawValue)
            return languageSwitch(request, to: locale)
        }
        group.post("logout") { request, context in
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            if let token = request.cookies[ConsoleCookie.session]?.value {
                try await auth.logout(token: token, agent: context.agent, address: context.peerAddress)
            }
            var response = redirect("/console/login")
            response.setCookie(cookie(ConsoleCookie.session, "", maxAge: 0))
            return response
        }
    }

    private func startSession(agent: Agent, credentials: AgentCredentials, request: Request, context: KefuRequestContext) async throws -> Response {
        let success = try await auth.startSession(
            agent: agent, credentials: credentials, kind: .console, device: Self.device(request), userAgent: request.headers[.userAgent], address: context.peerAddress)
        let setUp = success.identity.mustEnrollTwoFactor || agent.mustChangePassword
        var response = redirect(setUp ? "/console/profile" : "/console")
        response.setCookie(cookie(ConsoleCookie.session, success.token, maxAge: Int(sessionLifetime)))
        response.setCookie(cookie(ConsoleCookie.device, success.deviceToken, maxAge: 365 * 86400))
        return response
    }

    private func loginPage(
        _ request: Request, template: String, error: String?, email: String, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request))
        // Double-submit token against login CSRF (signing a victim into the attacker's account).
        let csrf = request.cookies[Self.loginCSRFCookie]?.value ?? RandomToken.make(bytes: 16)
        var values = page.base(title: page.t("login_title"), request: request)
        values["csrf"] = csrf
        values["email"] = email
        if let error { values["error"] = page.t(error) }
        var response = try resources.render(template, values)
        response.status = status
        response.setCookie(cookie(Self.loginCSRFCookie, csrf, maxAge: 3600))
        return response
    }

    static func messageKey(_ error: APIError) -> String {
        switch error.code {
        case "invalid_credentials": "error_invalid_credentials"
        case "invalid_otp": "error_invalid_otp"
        case "too_many_attempts": "error_too_many"
        case "csrf_failed": "error_expired"
        default: "error_generic"
        }
    }
}

/// Console pages need a signed-in agent; everyone else goes to the sign-in page. While the
/// agent must change a one-time password or enrol in required 2FA, every page but the profile
/// leads to the profile.
struct ConsoleSignInGate: RouterMiddleware {
    typealias Context = KefuRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity else { return redirect("/console/login") }
        let path = request.uri.path
        let setUpPending = identity.mustEnrollTwoFactor || identity.agent.mustChangePassword
        if setUpPending, request.method == .get, !path.hasPrefix("/console/profile") {
            return redirect("/console/profile")
        }
        if setUpPending, request.method != .get, !path.hasPrefix("/console/profile"), !path.hasPrefix("/console/lang/"), path != "/console/logout" {
            throw identity.agent.mustChangePassword ? APIError.passwordChangeRequired : APIError.twoFactorEnrollmentRequired
        }
        return try await next(request, context)
    }
}
