import Foundation
import KefuCore
import KefuLocalization

/// What an agent's reply carries outside the chat widget (a mail's signature, a Telegram
/// message's last line): the agent's name and verification code, and where to check it, in
/// the customer's language. Impersonators can copy a name, not a code that checks out for the
/// customer they write to.
public struct AgentSignature: Sendable {
    /// The public verify page (`…/help/verify`); empty when Kefu has no public address.
    public let verifyURL: String
    let catalog: Catalog

    public init(publicURL: String, catalog: Catalog = .standard) {
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        verifyURL = base.isEmpty ? "" : base + "/help/verify"
        self.catalog = catalog
    }

    /// "Verification code ABCD-EFGH · check it at https://…/help/verify", or nil without a code.
    public func codeLine(_ code: String?, locale: UILocale) -> String? {
        guard let code else { return nil }
        return catalog.text(.agentCodeLine, locale, ["code": AgentCode.display(code), "url": verifyURL])
    }

    /// "— Ann · Verification code …": the last line of a reply in a chat app.
    public func chatLine(agent: String?, code: String?, locale: UILocale) -> String? {
        guard let line = codeLine(code, locale: locale) else { return nil }
        guard let agent, !agent.isEmpty else { return "— " + line }
        return "— \(agent) · \(line)"
    }
}
