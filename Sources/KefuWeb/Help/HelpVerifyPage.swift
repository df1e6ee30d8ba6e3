import Foundation
import Hummingbird
import KefuAccounts
import KefuCore
import KefuHelp
import KefuStore

/// `/help/verify`: a customer pastes what claims to be us and learns whether it is; the list
/// of our official channels is on the same page.
struct HelpVerifyPage {
    let channels: OfficialChannels
    let site: HelpSiteController

    func addRoutes(to router: Router<KefuRequestContext>) {
        router.get("/help/verify") { request, context in
            try await render(try await site.page(UILocale.negotiate(acceptLanguage: request.headers[.acceptLanguage])), request, context)
        }
        router.get("/help/{locale}/verify") { request, context in try await render(try await site.page(context), request, context) }
    }

    func render(_ page: HelpPage, _ request: Request, _ context: KefuRequestContext) async throws -> Response {
        var values = page.base(title: page.t("help_verify_title"), description: page.t("help_verify_intro"), path: { "/help/\($0.rawValue)/verify" })
        values["show_search"] = false
        let value = (FormQuery.value(request, "value") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        values["value"] = value
        if !value.isEmpty {
            try await HelpController.admitRead(site.throttler, network: context.peerAddress)
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
