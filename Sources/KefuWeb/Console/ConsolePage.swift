import Foundation
import Hummingbird
import KefuCore
import KefuLocalization
import KefuRealtime

/// What every console page shows: the language, the agent, the CSRF token, the navigation.
struct ConsolePage {
    let resources: ConsoleResources
    let locale: UILocale
    /// For the signed-in pages' presence switch.
    var presence: (any PresenceTracking)? = nil

    /// The console's language: the explicit choice (cookie), then the agent's, then the browser's.
    static func locale(_ request: Request, agent: Agent? = nil) -> UILocale {
        if let chosen = request.cookies[ConsoleCookie.language]?.value, let locale = UILocale(rawValue: chosen) { return locale }
        if let preferred = agent?.locale, let locale = UILocale(rawValue: preferred) { return locale }
        return UILocale.negotiate(acceptLanguage: request.headers[.acceptLanguage])
    }

    func t(_ key: String) -> String { resources.text(key, locale) }

    func base(title: String, request: Request) -> [String: Any] {
        var values: [String: Any] = [
            "t": resources.translations[locale] ?? [:],
            "lang": locale.rawValue,
            "other_lang": locale == .en ? UILocale.zhCN.rawValue : UILocale.en.rawValue,
            "title": title,
        ]
        // Flash and error messages travel as translation keys, never as free text.
        if let key = request.uri.queryParameters.get("flash"), Self.isPageKey(key), resources.translations[locale]?[key] != nil { values["flash"] = t(key) }
        if let key = request.uri.queryParameters.get("error"), Self.isPageKey(key), resources.translations[locale]?[key] != nil { values["error"] = t(key) }
        return values
    }

    /// The catalog also holds the texts of mails, problems and decisions; a link cannot show
    /// those as a page's message.
    static func isPageKey(_ key: String) -> Bool {
        !key.hasPrefix("problem_") && !codeKeys.contains(key)
    }

    private static let codeKeys = Set(TextKey.all.map(\.rawValue))

    func base(title: String, request: Request, context: AuthenticatedContext, nav: String) -> [String: Any] {
        var values = base(title: title, request: request)
        values["agent"] = Self.agentValues(context.agent, locale: locale, resources: resources)
        values["csrf"] = context.identity.csrfToken ?? ""
        values["is_admin"] = context.agent.role == .admin
        values["is_supervisor"] = context.agent.role >= .supervisor
        values["can_edit_help"] = context.agent.canEditHelp
        values["must_enroll"] = context.identity.mustEnrollTwoFactor
        values["must_change_password"] = context.agent.mustChangePassword
        values["nav_\(nav)"] = true
        // No presence (and so no live feed, which the page opens with it) until the account is
        // set up: the feed refuses such an agent, as the API does.
        if let presence, !context.identity.mustEnrollTwoFactor, !context.agent.mustChangePassword {
            let status = presence.status(context.agent.id)
            values["presence"] = [
                "status": status.rawValue, "label": t("presence_\(status.rawValue)"), "is_away": status == .away,
            ] as [String: Any]
        }
        return values
    }

    static func agentValues(_ agent: Agent, locale: UILocale, resources: ConsoleResources) -> [String: Any] {
        [
            "id": agent.id.rawValue, "name": agent.name, "email": agent.email, "role": agent.role.rawValue,
            "role_label": resources.text("role_\(agent.role.rawValue)", locale), "status": agent.status.rawValue,
            "status_label": resources.text(agent.status == .active ? "active" : "disabled", locale),
            "is_active": agent.status == .active, "totpEnabled": agent.totpEnabled,
            "avatarUrl": agent.avatarUrl ?? false, "initials": initials(agent.name),
        ]
    }

    /// Up to two letters for an agent without a picture: "Li Wei" → "LW", "王芳" → "王".
    static func initials(_ name: String) -> String {
        let words = name.split(whereSeparator: { !$0.isLetter })
        if words.count > 1, let first = words[0].first, let second = words[1].first, first.isASCII, second.isASCII {
            return String([first, second]).uppercased()
        }
        return name.trimmingCharacters(in: .whitespaces).first.map { String($0).uppercased() } ?? "?"
    }

    static func isoTime(_ date: Date) -> String { date.formatted(.iso8601) }

    /// Server-side fallback text; the page script re-renders it in the agent's time zone.
    static func shortTime(_ date: Date) -> String { UTCFields(date).minuteText }
}
