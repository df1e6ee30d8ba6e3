import Foundation
import HTTPTypes
import Hummingbird
import KefuAccounts
import KefuCore
import KefuRisk
import KefuStore

/// The customer's own pages under /account (zh-CN and en): sign-in, registration, email
/// verification, forgotten password, and the security page (2FA, devices, anti-phishing code).
/// Server-rendered forms on the same AccountService as the API; a session cookie, and a CSRF
/// token bound to the session (a double-submit cookie before there is one, see AccountCSRF);
/// links from mails open a page whose button acts, never a GET that acts.
struct AccountPagesController {
    let service: AccountService
    let resets: TwoFactorResets
    let authorizations: any AuthorizationRepository
    let policies: RiskPolicySource
    let resources: ConsoleResources
    let secureCookies: Bool
    let csrf: AccountCSRF

    static let sessionCookie = "kefu_account"
    static let csrfCookie = "kefu_account_csrf"
    /// Proof that this browser signed in to the account before (`KnownDevices`).
    static let deviceCookie = "kefu_device"

    func cookie(_ name: String, _ value: String, maxAge: Int, path: String = "/account") -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secureCookies, httpOnly: true, sameSite: .lax)
    }

    /// The session cookie goes to the whole site: the help center's feedback board knows its
    /// reader by it. It was once scoped to /account; such an old cookie is cleared beside it.
    func sessionCookies(_ value: String, maxAge: Int) -> [Cookie] {
        [cookie(Self.sessionCookie, "", maxAge: 0), cookie(Self.sessionCookie, value, maxAge: maxAge, path: "/")]
    }

    /// Where a sign-in may send the browser back to: a path of the help center or the account
    /// pages, nothing else (never another site, a scheme-relative `//host`, a backslash, or a
    /// dot segment, spelled out or percent-encoded: no `%` at all, the board's paths need none).
    static func returnPath(_ value: String?) -> String? {
        guard let value, value.count <= 200, value.hasPrefix("/help/") || value.hasPrefix("/account"),
            !value.contains("//"), !value.contains(".."),
            value.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "/-_?=&.#".unicodeScalars.contains($0)) })
        else { return nil }
        return value
    }

    /// The value of the only cookie called `name` the browser sent; nil when it sent none or
    /// several. Cookies are not kept apart by port or path, so a page on another port of this
    /// host can plant a second session cookie with a narrower path, which the browser then sends
    /// first: a reader with two sessions is treated as signed out rather than as the planted one.
    static func soleCookie(_ name: String, in request: Request) -> String? {
        var found: [String] = []
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
                found.append(String(parts[1]).trimmingCharacters(in: .whitespaces))
            }
        }
        guard found.count == 1, let value = found.first, !value.isEmpty else { return nil }
        return value
    }

    struct Field {
        var label: String
        var name: String
        var type = "text"
        var autocomplete = "off"
        var required = true
        var value = ""
        var hint: String?
        var numeric = false
        var values: [String: Any] {
            var result: [String: Any] = [
                "label": label, "name": name, "type": type, "autocomplete": autocomplete, "required": required, "value": value, "numeric": numeric,
            ]
            if let hint { result["hint"] = hint }
            return result
        }
    }

    /// The browser's session cookie, if it sends one.
    func sessionCookie(_ request: Request) -> String? {
        Self.soleCookie(Self.sessionCookie, in: request)
    }

    /// The token this browser's forms must carry: its session's, else its double-submit cookie's.
    func expectedCSRF(_ request: Request) -> String? {
        if let session = sessionCookie(request) { return csrf.token(session: session) }
        return request.cookies[Self.csrfCookie]?.value
    }

    /// A page with its forms' CSRF token (and the double-submit cookie, made when a browser
    /// without a session has none).
    func render(_ template: String, _ values: [String: Any], request: Request, status: HTTPResponse.Status = .ok) throws -> Response {
        var values = values
        var newCookie: String?
        if let expected = expectedCSRF(request) {
            values["csrf"] = expected
        } else {
            let token = RandomToken.make()
            values["csrf"] = token
            newCookie = token
        }
        var response = try resources.render(template, values)
        response.status = status
        if let newCookie { response.setCookie(cookie(Self.csrfCookie, newCookie, maxAge: 86400)) }
        return response
    }

    /// The page's language and strings (the explicit choice, else the browser's).
    func page(for request: Request) -> ConsolePage {
        ConsolePage(resources: resources, locale: ConsolePage.locale(request))
    }

    func formPage(
        _ request: Request, heading: String, intro: String? = nil, action: String?, fields: [Field], submit: String, hidden: [String: String] = [:],
        links: [(String, String, String)] = [], message: String? = nil, errors: [String] = [], status: HTTPResponse.Status = .ok
    ) throws -> Response {
        var values = page(for: request).base(title: heading, request: request)
        values["heading"] = heading
        if let intro { values["intro"] = intro }
        if let action { values["action"] = action }
        values["fields"] = fields.map(\.values)
        values["hidden"] = hidden.map { ["name": $0.key, "value": $0.value] }
        values["submit"] = submit
        values["links"] = links.map { ["id": $0.0, "href": $0.1, "label": $0.2] }
        if let message { values["message"] = message }
        if !errors.isEmpty {
            values["errors"] = errors
            values["has_errors"] = true
        }
        return try render("account-form", values, request: request, status: status)
    }

    /// Problems as sentences in the page's language: password rules one by one.
    func describe(_ error: APIError, page: ConsolePage) -> [String] {
        if case .validation(let fields) = error.kind {
            let rules = fields.compactMap { field -> String? in
                guard case .rule(let code) = field.1 else { return nil }
                return page.t("rule_\(code)").replacingOccurrences(of: "{min}", with: "\(service.policy.minLength)")
            }
            // A length over the limit, in words with the limit (the generic message names no field).
            let lengths = fields.compactMap { field -> String? in
                guard case .tooLong(let max) = field.1 else { return nil }
                return page.t("field_too_long").replacingOccurrences(of: "{max}", with: "\(max)")
            }
            if !rules.isEmpty || !lengths.isEmpty { return rules + lengths }
        }
        return [error.message(page.locale)]
    }

    /// The policy in words, as configured: "At least 10 characters with a letter, a digit and a
    /// symbol; not a common password."
    func passwordHint(_ page: ConsolePage) -> String {
        let policy = service.policy
        let classes = [("letter", policy.requireLetter), ("digit", policy.requireDigit), ("symbol", policy.requireSymbol)]
            .filter(\.1).map { page.t("account_password_hint_\($0.0)") }
        var hint = page.t("account_password_hint_min").replacingOccurrences(of: "{min}", with: "\(policy.minLength)")
        if let last = classes.last {
            let list = classes.count == 1 ? last : classes.dropLast().joined(separator: page.t("account_password_hint_comma")) + page.t("account_password_hint_and") + last
            hint += page.t("account_password_hint_with") + list
        }
        return hint + page.t("account_password_hint_tail")
    }

    /// The page a mailed link opens: what the link is for and a button that POSTs its token to
    /// `action`. Mail scanners and link previews follow links by themselves; only the button acts.
    func mailedLinkPage(_ request: Request, action: String, heading: String, intro: String, button: String) throws -> Response {
        let page = page(for: request)
        return try formPage(
            request, heading: page.t(heading), intro: page.t(intro), action: action, fields: [], submit: page.t(button),
            hidden: ["token": request.uri.queryParameters.get("token") ?? ""])
    }

    func readForm(_ request: Request) async throws -> ConsoleForm {
        try await ConsoleForm.read(request, expectedCSRF: expectedCSRF(request))
    }

    func signedIn(_ request: Request) async throws -> (AccountSession, Account)? {
        guard let token = sessionCookie(request) else { return nil }
        return try? await service.session(token: token)
    }

    /// `group` is the "/account" group (behind the same-origin form gate).
    func addRoutes(to group: RouterGroup<KefuRequestContext>) {
        group.get("lang/{code}") { request, context in
            let code = context.parameters.get("code") ?? ""
            var response = redirect("/account")
            if let locale = UILocale(rawValue: code) {
                response.setCookie(Cookie(name: ConsoleCookie.language, value: locale.rawValue, maxAge: 365 * 86400, path: "/", secure: secureCookies, httpOnly: true, sameSite: .lax))
            }
            return response
        }
        group.get("login") { request, _ in try loginPage(request, next: Self.returnPath(request.uri.queryParameters.get("next").map { String($0) })) }
        group.post("login") { request, context in
            let form = try await readForm(request)
            let page = self.page(for: request)
            let next = Self.returnPath(form["next"])
            do {
                let result = try await service.login(
                    email: form["email"] ?? "", password: form["password"] ?? "", otp: form["otp"],
                    device: request.cookies[Self.deviceCookie]?.value, userAgent: request.headers[.userAgent],
                    address: context.peerAddress, requestId: context.id)
                var response = redirect(next ?? "/account")
                for cookie in sessionCookies(result.token, maxAge: Int(service.settings.sessionLifetime)) { response.setCookie(cookie) }
                response.setCookie(cookie(Self.deviceCookie, result.deviceToken, maxAge: 365 * 86400))
                return response
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try loginPage(request, email: form["email"] ?? "", next: next, errors: describe(error, page: page), status: error.status)
            }
        }
        group.get("register") { request, _ in try registerPage(request) }
        group.post("register") { request, context in
            let form = try await readForm(request)
            let page = self.page(for: request)
            do {
                _ = try await service.register(
                    email: form["email"] ?? "", password: form["password"] ?? "", locale: page.locale.rawValue, userAgent: request.headers[.userAgent],
                    address: context.peerAddress)
                return try loginPage(request, email: form["email"] ?? "", message: page.t("account_check_mail_verify"))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try registerPage(request, email: form["email"] ?? "", errors: describe(error, page: page), status: error.status)
            }
        }
        // Mailed links open a page; only its button (a POST) acts (`mailedLinkPage`).
        group.get("verify") { request, _ in
            try mailedLinkPage(
                request, action: "/account/verify", heading: "account_verify_heading", intro: "account_verify_intro", button: "account_verify_button")
        }
        group.post("verify") { request, context in
            let form = try await readForm(request)
            let page = self.page(for: request)
            do {
                try await service.verifyEmail(token: form["token"] ?? "", userAgent: request.headers[.userAgent], address: context.peerAddress)
                return try loginPage(request, message: page.t("account_email_verified"))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try loginPage(request, errors: describe(error, page: page), status: error.status)
            }
        }
        group.get("email") { request, _ in
            try mailedLinkPage(
                request, action: "/account/email", heading: "account_email_confirm_heading", intro: "account_email_confirm_intro",
                button: "account_email_confirm_button")
        }
        group.post("email") { request, context in
            let form = try await readForm(request)
            let page = self.page(for: request)
            do {
                try await service.confirmEmailChange(token: form["token"] ?? "", userAgent: request.headers[.userAgent], address: context.peerAddress)
                return try loginPage(request, message: page.t("account_email_changed"))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try loginPage(request, errors: describe(error, page: page), status: error.status)
            }
        }
        group.get("forgot") { request, _ in try forgotPage(request) }
        group.post("forgot") { request, context in
            let form = try await readForm(request)
            let page = self.page(for: request)
            do {
                try await service.requestPasswordReset(email: form["email"] ?? "", userAgent: request.headers[.userAgent], address: context.peerAddress, requestId: context.id)
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try forgotPage(request, errors: describe(error, page: page), status: error.status)
            }
            return try forgotPage(request, message: page.t("account_reset_sent"))
        }
        group.get("reset") { request, _ in try resetPage(request, token: request.uri.queryParameters.get("token") ?? "") }
        group.post("reset") { request, context in
            let form = try await readForm(request)
            let page = self.page(for: request)
            let token = form["token"] ?? ""
            guard form["password"] == form["confirm"] else { return try resetPage(request, token: token, errors: [page.t("error_password_mismatch")], status: .badRequest) }
            do {
                try await service.confirmPasswordReset(
                    token: token, password: form["password"] ?? "", otp: form["otp"].flatMap { $0.isEmpty ? nil : $0 },
                    userAgent: request.headers[.userAgent], address: context.peerAddress)
                return try loginPage(request, message: page.t("account_password_reset_done"))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try resetPage(request, token: token, errors: describe(error, page: page), status: error.status)
            }
        }
        group.get("wasnt-me") { request, _ in
            try mailedLinkPage(
                request, action: "/account/wasnt-me", heading: "account_wasnt_me", intro: "account_wasnt_me_intro", button: "account_wasnt_me_button")
        }
        group.post("wasnt-me") { request, context in
            let form = try await readForm(request)
            let page = self.page(for: request)
            do {
                try await service.wasntMe(token: form["token"] ?? "", userAgent: request.headers[.userAgent], address: context.peerAddress)
                return try formPage(request, heading: page.t("account_wasnt_me"), action: nil, fields: [], submit: "", message: page.t("account_wasnt_me_done"))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try formPage(
                    request, heading: page.t("account_wasnt_me"), action: nil, fields: [], submit: "", errors: describe(error, page: page), status: error.status)
            }
        }
        group.get("2fa-reset/cancel") { request, _ in
            try mailedLinkPage(
                request, action: "/account/2fa-reset/cancel", heading: "account_2fa_reset_cancel", intro: "account_2fa_reset_cancel_intro",
                button: "account_2fa_reset_cancel_button")
        }
        // With the mailed token, or (no token) the signed-in customer's open reset.
        group.post("2fa-reset/cancel") { request, context in
            let form = try await readForm(request)
            let page = self.page(for: request)
            let token = form["token"] ?? ""
            do {
                if token.isEmpty {
                    guard let (session, account) = try await signedIn(request) else { return redirect("/account/login") }
                    try await resets.cancelOpen(account, userAgent: request.headers[.userAgent], address: context.peerAddress)
                    return try await homePage(request, session: session, account: account, message: page.t("account_2fa_reset_cancelled"))
                }
                try await resets.cancel(token: token, userAgent: request.headers[.userAgent], address: context.peerAddress)
                return try formPage(
                    request, heading: page.t("account_2fa_reset_cancel"), action: nil, fields: [], submit: "", message: page.t("account_2fa_reset_cancelled"))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try formPage(
                    request, heading: page.t("account_2fa_reset_cancel"), action: nil, fields: [], submit: "",
                    errors: describe(error, page: page), status: error.status)
            }
        }
        group.get("") { request, _ in
            guard let (session, account) = try await signedIn(request) else { return redirect("/account/login") }
            return try await homePage(request, session: session, account: account)
        }
        group.post("logout") { request, _ in
            _ = try await readForm(request)
            if let token = sessionCookie(request) { try await service.logout(token: token) }
            var response = redirect("/account/login")
            for cookie in sessionCookies("", maxAge: 0) { response.setCookie(cookie) }
            return response
        }
        group.post("2fa/setup") { request, _ in
            _ = try await readForm(request)
            guard let (session, account) = try await signedIn(request) else { return redirect("/account/login") }
            let enrollment = try await service.twoFactor.begin(account)
            return try await homePage(request, session: session, account: account, enrollment: enrollment)
        }
        group.post("2fa/confirm") { request, context in
            let form = try await readForm(request)
            guard let (session, account) = try await signedIn(request) else { return redirect("/account/login") }
            let page = self.page(for: request)
            do {
                let codes = try await service.twoFactor.confirm(
                    account, code: form["code"] ?? "", address: context.peerAddress, userAgent: request.headers[.userAgent])
                let updated = try await service.store.account(id: account.id) ?? account
                return try await homePage(request, session: session, account: updated, recovery: codes.recoveryCodes, message: page.t("two_factor_enabled_flash"))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                let enrollment = try await service.twoFactor.begin(account)
                return try await homePage(request, session: session, account: account, enrollment: enrollment, errors: describe(error, page: page))
            }
        }
        group.post("2fa/disable") { request, context in
            let form = try await readForm(request)
            guard let (session, account) = try await signedIn(request) else { return redirect("/account/login") }
            let page = self.page(for: request)
            do {
                try await service.disableTwoFactor(
                    account, password: form["password"] ?? "", code: form["code"] ?? "", userAgent: request.headers[.userAgent], address: context.peerAddress)
                let updated = try await service.store.account(id: account.id) ?? account
                return try await homePage(request, session: session, account: updated, message: page.t("two_factor_disabled_flash"))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try await homePage(request, session: session, account: account, errors: describe(error, page: page))
            }
        }
        group.post("anti-phishing") { request, context in
            let form = try await readForm(request)
            guard let (session, account) = try await signedIn(request) else { return redirect("/account/login") }
            let page = self.page(for: request)
            do {
                let updated = try await service.setAntiPhishingCode(
                    account, code: form["code"], userAgent: request.headers[.userAgent], address: context.peerAddress)
                return try await homePage(request, session: session, account: updated, message: page.t("saved"))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return try await homePage(request, session: session, account: account, errors: describe(error, page: page))
            }
        }
        group.post("sessions/{id}/revoke") { request, context in
            _ = try await readForm(request)
            guard let (_, account) = try await signedIn(request) else { return redirect("/account/login") }
            _ = try await service.store.revokeAccountSession(id: context.parameters.get("id") ?? "", accountId: account.id)
            return redirect("/account")
        }
        group.post("sessions/revoke-others") { request, context in
            _ = try await readForm(request)
            guard let (session, account) = try await signedIn(request) else { return redirect("/account/login") }
            try await service.store.revokeAccountSessions(
                accountId: account.id, except: session.id,
                event: AccountEvent(kind: .sessionsRevoked, clientAddress: context.peerAddress, userAgent: request.headers[.userAgent], createdAt: Date()))
            return redirect("/account")
        }
    }
}
