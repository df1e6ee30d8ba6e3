import Foundation
import Hummingbird
import KefuAccounts
import KefuConversations
import KefuCore
import KefuHelp
import KefuStore

/// `/help/verify`: a customer pastes what claims to be us and learns whether it is; checks an
/// agent's verification code; reports an account that pretended to be support. The list of our
/// official channels is on the same page.
struct HelpVerifyPage {
    let channels: OfficialChannels
    let verification: AgentVerification
    let reports: ImpersonationReports
    let site: HelpSiteController

    /// Wrong codes a network may try: a genuine answer gives its attempt back, so a customer
    /// checking real codes is never held up, while guessing (31⁸ codes) gets nowhere.
    static let codeChecksPerClient = ThrottlePolicy(freeAttempts: 10, window: 10 * 60, baseDelay: 30, maxDelay: 600)
    static let reportsPerClient = ThrottlePolicy(freeAttempts: 5, window: 60 * 60, baseDelay: 60, maxDelay: 3600)
    /// A screenshot and the form's fields.
    static let reportBodyLimit = ImpersonationReport.maxScreenshot + (64 << 10)

    func addRoutes(to router: Router<KefuRequestContext>, forms: RouterGroup<KefuRequestContext>) {
        router.get("/help/verify") { request, context in
            try await render(try await site.page(UILocale.negotiate(acceptLanguage: request.headers[.acceptLanguage])), request, context)
        }
        router.get("/help/{locale}/verify") { request, context in try await render(try await site.page(context), request, context) }
        forms.post("{locale}/verify/code") { request, context in try await checkCode(request, context) }
        forms.post("{locale}/verify/report") { request, context in try await report(request, context) }
    }

    func checkCode(_ request: Request, _ context: KefuRequestContext) async throws -> Response {
        let page = try await site.page(context)
        let form = try await ConsoleForm.readPublic(request)
        let (code, email) = (String((form["code"] ?? "").prefix(64)), String((form["email"] ?? "").prefix(254)))
        var extra: [String: Any] = ["code_value": code, "code_email": email]
        do {
            let answer = try await TrustAndSafetyController.check(site.throttler, network: context.peerAddress) {
                try await verification.check(code: code, email: email)
            }
            extra["code_verdict"] = Self.verdict(answer, t: page.t)
        } catch ConversationError.invalid(let failure) {
            extra["code_error"] = page.t(failure.fields.first?.name == "email" ? "help_agent_code_email_invalid" : "help_agent_code_invalid")
        }
        return try await render(page, request, context, extra: extra)
    }

    /// What a code check answers, in the page's words (the widget uses the same).
    static func verdict(_ answer: AgentVerification.Answer, t: (String) -> String) -> [String: Any] {
        switch answer {
        case .genuine(let agent, let number):
            return [
                "status": "official",
                "heading": t("help_agent_code_genuine").replacingOccurrences(of: "{agent}", with: agent)
                    .replacingOccurrences(of: "{number}", with: String(number)),
                "advice": t("help_agent_code_genuine_advice"),
            ]
        case .notGenuine:
            return ["status": "impersonation", "heading": t("help_agent_code_not_genuine"), "advice": t("help_agent_code_not_genuine_advice")]
        }
    }

    func report(_ request: Request, _ context: KefuRequestContext) async throws -> Response {
        let page = try await site.page(context)
        let form = try await MultipartForm.read(request, limit: Self.reportBodyLimit)
        _ = try await site.throttler.admit([("impersonation-report-client:\(ClientNetwork.key(context.peerAddress))", Self.reportsPerClient)])
        let submission = ImpersonationReports.Submission(
            place: form["place"] ?? "", handle: form["handle"] ?? "", note: form["note"] ?? "", screenshot: form.files["screenshot"], contactId: nil,
            locale: page.locale.rawValue)
        do {
            _ = try await reports.submit(submission, source: ActionSource(author: Author(kind: .contact, id: nil), clientAddress: context.peerAddress))
            return redirect("/help/\(page.locale.rawValue)/verify?reported=1#report")
        } catch HelpError.invalid(let failure) {
            let field = failure.fields.first?.name ?? "handle"
            var response = try await render(
                page, request, context,
                extra: [
                    "report_error": page.t("help_report_error_\(field)"), "report_handle": String(submission.handle.prefix(200)),
                    "report_note": String(submission.note.prefix(2000)), "report_place": submission.place,
                ])
            response.status = .badRequest
            return response
        }
    }

    func render(_ page: HelpPage, _ request: Request, _ context: KefuRequestContext, extra: [String: Any] = [:]) async throws -> Response {
        var values = page.base(title: page.t("help_verify_title"), description: page.t("help_verify_intro"), path: { "/help/\($0.rawValue)/verify" })
        values.merge(extra) { _, new in new }
        values["show_search"] = false
        values["reported"] = FormQuery.value(request, "reported") == "1"
        let chosen = extra["report_place"] as? String
        values["places"] = ImpersonationReport.Place.allCases.map { place -> [String: Any] in
            ["value": place.rawValue, "label": page.t("help_report_place_\(place.rawValue)"), "selected": place.rawValue == chosen]
        }
        let value = (FormQuery.value(request, "value") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        values["value"] = value
        if !value.isEmpty {
            try await HelpController.admitRead(site.readThrottler, network: context.peerAddress)
            let verification = try await channels.verify(String(String.UnicodeScalarView(value.unicodeScalars.prefix(OfficialChannels.maxValue))))
            let status = verification.status.rawValue
            var verdict: [String: Any] = ["status": status, "is_\(status)": true]
            switch verification.status {
            case .official:
                verdict["heading"] = page.t("help_verify_official")
                verdict["advice"] = page.t("help_verify_official_advice")
                // "@name" reads as Telegram and X: say where it is ours, and that elsewhere it is not.
                let officialKinds = Set(verification.matches.filter(\.reason.isOfficial).map(\.kind))
                let otherKinds = Set(verification.checked.map(\.kind)).subtracting(officialKinds)
                if let kind = officialKinds.first, officialKinds.count == 1, !otherKinds.isEmpty {
                    verdict["heading"] = page.t("help_verify_official_on").replacingOccurrences(of: "{kind}", with: page.t("help_kind_\(kind.rawValue)"))
                    verdict["advice"] = page.t("help_verify_official_only_on").replacingOccurrences(of: "{kind}", with: page.t("help_kind_\(kind.rawValue)"))
                }
            case .impersonation:
                let official = verification.matches.first.map { "\(page.t("help_kind_\($0.kind.rawValue)")) \($0.official)" } ?? ""
                verdict["heading"] = page.t("help_verify_impersonation").replacingOccurrences(of: "{official}", with: official)
                verdict["advice"] = page.t("help_verify_impersonation_advice")
            case .unknown:
                verdict["heading"] = page.t("help_verify_unknown")
                verdict["advice"] = page.t("help_verify_unknown_advice")
            }
            verdict["reasons"] = verification.matches.map { match in
                ["text": "\(page.t("help_kind_\(match.kind.rawValue)")) \(match.official): \(page.t("help_verify_reason_\(match.reason.rawValue)"))"]
            }
            verdict["has_reasons"] = !verification.matches.isEmpty
            // What customers reported about the same account counts here too.
            // Never beside an official verdict: anyone can report our own account.
            let reported = verification.status == .official ? 0 : try await reports.count(for: value)
            if reported > 0 { verdict["reports_text"] = page.t("help_verify_reports").replacingOccurrences(of: "{count}", with: String(reported)) }
            values["verdict"] = verdict
        }
        values["officials"] = try await channels.list().map { listed in
            ["kind": page.t("help_kind_\(listed.channel.kind.rawValue)"), "value": Self.display(listed.channel)]
        }
        return try page.render("help-verify", values)
    }

    /// How a customer would recognise it: "@name", "https://host", "name@host", "+86…".
    static func display(_ channel: OfficialChannel) -> String {
        switch channel.kind {
        case .telegram: "@\(channel.value) (t.me/\(channel.value))"
        case .x: "@\(channel.value) (x.com/\(channel.value))"
        case .url: "https://\(channel.value)"
        case .email, .phone: channel.value
        }
    }
}

/// The trust-and-safety services the web layer serves: agents' codes checked, impersonators
/// reported.
struct TrustAndSafety: Sendable {
    let verification: AgentVerification
    let reports: ImpersonationReports
}
