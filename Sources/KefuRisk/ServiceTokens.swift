import Foundation
import KefuAccounts
import KefuCore
import KefuStore

/// Tokens for machines (the wallet's backend), made by an operator with
/// `kefu admin token --scope risk` (or `channel`): 256 random bits behind a recognisable prefix, stored as
/// SHA-256 only, one scope each.
public enum ServiceTokens {
    public static let prefix = "kfs_"
    /// `risk`: limit decisions; `channel`: the API channel (the wallet's app's conversations).
    public static let scopes = ["risk", "channel"]

    /// Creates a token and answers it in the clear, once.
    public static func issue(name: String, scope: String, inbox: InboxID? = nil, store: any ServiceTokenRepository) async throws -> (ServiceToken, String) {
        guard scopes.contains(scope) else { throw RiskError.invalid("scope", .notOneOf(scopes)) }
        if inbox != nil && scope != "channel" { throw RiskError.invalid("inbox", .rule("channel_tokens_only")) }
        let secret = prefix + RandomToken.make()
        var detail = ["name": name, "scope": scope]
        if let inbox { detail["inbox"] = inbox.rawValue }
        let token = try await store.createServiceToken(
            name: name, scope: scope, inboxId: inbox, tokenHash: TokenDigest.of(secret),
            audit: AuditEvent(actor: .system, action: "service_token.created", subjectKind: "service_token", detail: detail))
        return (token, secret)
    }
}
