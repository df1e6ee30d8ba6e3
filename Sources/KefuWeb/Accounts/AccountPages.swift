import Foundation
import HTTPTypes
import Hummingbird
import KefuAccounts
import KefuCore
import KefuRisk
import KefuStore

/// The account pages themselves (sign-in, registration, reset, home), as the routes render them.
extension AccountPagesController {
    func loginPage(
        _ request: Request, email: String = "", next: String? = nil, message: String? = nil, errors: [String] = [], status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let page = self.page(for: request)
        return try formPage(
            request, heading: page.t("account_sign_in"), action: "/account/login",
            fields: [
                Field(label: page.t("email"), name: "email", type: "email", autocomplete: "username", value: email),
                Field(label: page.t("password"), name: "password", type: "password", autocomplete: "current-password"),
                Field(
                    label: page.t("account_code_or_recovery"), name: "otp", autocomplete: "one-time-code", required: false,
                    hint: page.t("account_otp_hint")),
            ],
            submit: page.t("sign_in"), hidden: next.map { ["next": $0] } ?? [:],
            links: [("register", "/account/register", page.t("account_register")), ("forgot", "/account/forgot", page.t("account_forgot"))],
            message: message, errors: errors, status: status)
    }

    func registerPage(_ request: Request, email: String = "", errors: [String] = [], status: HTTPResponse.Status = .ok) throws -> Response {
        let page = self.page(for: request)
        return try formPage(
            request, heading: page.t("account_register"), action: "/account/register",
            fields: [
                Field(label: page.t("email"), name: "email", type: "email", autocomplete: "username", value: email),
                Field(label: page.t("password"), name: "password", type: "password", autocomplete: "new-password", hint: passwordHint(page)),
            ],
            submit: page.t("account_register"), links: [("login", "/account/login", page.t("account_sign_in"))], errors: errors, status: status)
    }

    func forgotPage(_ request: Request, message: String? = nil, errors: [String] = [], status: HTTPResponse.Status = .ok) throws -> Response {
        let page = self.page(for: request)
        return try formPage(
            request, heading: page.t("account_forgot"), intro: page.t("account_forgot_intro"), action: "/account/forgot",
            fields: [Field(label: page.t("email"), name: "email", type: "email", autocomplete: "username")], submit: page.t("account_send_link"),
            links: [("login", "/account/login", page.t("account_sign_in"))], message: message, errors: errors, status: status)
    }

    func resetPage(_ request: Request, token: String, errors: [String] = [], status: HTTPResponse.Status = .ok) throws -> Response {
        let page = self.page(for: request)
        return try formPage(
            request, heading: page.t("account_new_password"), action: "/account/reset",
            fields: [
                Field(label: page.t("new_password"), name: "password", type: "password", autocomplete: "new-password", hint: passwordHint(page)),
                Field(label: page.t("confirm_password"), name: "confirm", type: "password", autocomplete: "new-password"),
                Field(label: page.t("account_code_or_recovery"), name: "otp", autocomplete: "one-time-code", required: false, hint: page.t("account_otp_hint")),
            ],
            submit: page.t("account_set_password"), hidden: ["token": token], errors: errors, status: status)
    }

    func homePage(
        _ request: Request, session: AccountSession, account: Account, enrollment: AccountTwoFactor.Enrollment? = nil, recovery: [String] = [],
        message: String? = nil, errors: [String] = []
    ) async throws -> Response {
        let page = self.page(for: request)
        var values = page.base(title: page.t("account_security"), request: request)
        values["account"] = [
            "email": account.email, "tier": account.tier, "totpEnabled": account.totpEnabled, "antiPhishingCode": account.antiPhishingCode ?? "",
        ] as [String: Any]
        values["verified"] = account.emailVerified
        if let lock = account.withdrawalsLockedUntil, lock > Date() {
            values["locked_until_iso"] = ConsolePage.isoTime(lock)
            values["locked_until_text"] = ConsolePage.shortTime(lock)
        }
        if let reset = try await resets.open(for: account) {
            var pending: [String: Any] = ["awaiting": reset.status == .awaitingApproval]
            if let at = reset.appliesAt {
                pending["applies_iso"] = ConsolePage.isoTime(at)
                pending["applies_text"] = ConsolePage.shortTime(at)
            }
            values["two_factor_reset"] = pending
        }
        let limits = try await LimitsSummary.load(account, store: authorizations, policy: try await policies.current(), now: Date())
        values["limits"] = limits.values(page)
        values["can_raise_tier"] = account.tier < RiskPolicy.tierRange.upperBound
        if let enrollment { values["enrollment"] = ["qrSvg": enrollment.qrSvg, "secret": enrollment.secret] }
        if !recovery.isEmpty {
            values["recovery"] = recovery
            values["has_recovery"] = true
        }
        values["recovery_left"] = try await service.store.remainingRecoveryCodes(accountId: account.id)
        values["sessions"] = try await service.store.accountSessions(accountId: account.id).map { item -> [String: Any] in
            [
                "id": item.id, "user_agent": item.userAgent ?? "?", "address": item.clientAddress ?? "?", "current": item.id == session.id,
                "last_seen_iso": ConsolePage.isoTime(item.lastSeenAt), "last_seen_text": ConsolePage.shortTime(item.lastSeenAt),
            ]
        }
        if let message { values["message"] = message }
        if !errors.isEmpty {
            values["errors"] = errors
            values["has_errors"] = true
        }
        return try render("account-home", values, request: request)
    }
}
