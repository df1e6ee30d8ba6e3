import Foundation
import Hummingbird
import KefuCore
import KefuRisk
import KefuStore

/// The decision service the wallet's backend calls before it moves money
/// (`POST /api/v1/accounts/{id}/authorizations`, service token with the `risk` scope), and the
/// agent-side settings of an account's limits (tier, verified country) and of the policy.
struct RiskController {
    let decisions: LimitDecisions
    let policies: RiskPolicySource
    let limits: BodyLimits

    struct AuthorizationBody: Decodable {
        let kind: String
        let asset: String
        let amount: String
        let valueUsd: String
        let destination: String?
        let country: String?
        let idempotencyKey: String

        var movement: LimitDecisions.Movement {
            .init(
                kind: kind, asset: asset, amount: amount, valueUsd: valueUsd, destination: destination, country: country,
                idempotencyKey: idempotencyKey)
        }
    }

    /// The answer: the decision with the numbers of the tightest window after it.
    struct AuthorizationView: Encodable, Sendable {
        let id: String
        let accountId: AccountID
        let kind: MovementKind
        let asset: String
        let amount: String
        let valueUsd: USD
        let destination: String?
        let decision: DecisionOutcome
        let status: AuthorizationStatus
        let code: DecisionCode
        let message: String
        let window: LimitWindow
        let limit: USD
        let used: USD
        let remaining: USD
        let perTransactionLimit: USD
        let holds: [DecisionCode]
        let retryAt: Date?
        let createdAt: Date
        let replayed: Bool
    }

    /// What agents and services see of an account (never its secrets or anti-phishing code).
    struct AccountView: Encodable, Sendable {
        let id: AccountID
        let email: String
        let emailVerified: Bool
        let tier: Int
        let country: String?
        let totpEnabled: Bool
        let withdrawalsLockedUntil: Date?

        init(_ account: Account) {
            id = account.id
            email = account.email
            emailVerified = account.emailVerified
            tier = account.tier
            country = account.country
            totpEnabled = account.totpEnabled
            withdrawalsLockedUntil = account.withdrawalsLockedUntil
        }
    }

    struct VerificationBody: Decodable {
        let tier: Int?
        /// Two letters; "" clears it.
        let country: String?
    }

    static func view(_ authorization: Authorization, account: Account, replayed: Bool) -> AuthorizationView {
        let tight = authorization.decision.tightest
        return AuthorizationView(
            id: authorization.id, accountId: authorization.accountId, kind: authorization.kind, asset: authorization.asset,
            amount: authorization.amount, valueUsd: authorization.value, destination: authorization.destination,
            decision: authorization.decision.outcome, status: authorization.status, code: authorization.decision.code,
            message: DecisionMessages.message(authorization, tier: account.tier, locale: account.locale), window: tight.window, limit: tight.limit,
            used: tight.used, remaining: tight.remaining, perTransactionLimit: authorization.decision.perTransaction,
            holds: authorization.decision.holds, retryAt: authorization.retryAt, createdAt: authorization.createdAt, replayed: replayed)
    }

    func service(_ context: KefuRequestContext) throws {
        guard let service = context.service else { throw APIError.unauthenticated }
        guard service.scope == "risk" else { throw APIError.forbidden }
    }

    func accountId(_ context: some RequestContext) throws -> AccountID {
        try context.parameters.id("id", as: AccountID.self, thing: "account")
    }

    func addServiceRoutes(to group: CatalogedGroup<KefuRequestContext>) {
        group.post("accounts/{id}/authorizations") { request, context in
            try service(context)
            let body = try await request.decodeJSON(AuthorizationBody.self, limit: limits.small)
            let (authorization, account, replayed) = try await decisions.decide(body.movement, for: try accountId(context))
            return JSONResponse(Self.view(authorization, account: account, replayed: replayed), status: replayed ? .ok : .created)
        }
        group.get("accounts/{id}/authorizations/{authorizationId}") { _, context in
            try service(context)
            let (authorization, account) = try await decisions.authorization(
                context.parameters.get("authorizationId") ?? "", of: try accountId(context))
            return JSONResponse(Self.view(authorization, account: account, replayed: false))
        }
        group.post("accounts/{id}/authorizations/{authorizationId}/void") { _, context in
            try service(context)
            let (voided, account) = try await decisions.void(
                context.parameters.get("authorizationId") ?? "", of: try accountId(context), by: context.service?.name ?? "",
                source: ActionSource(author: .system, clientAddress: context.peerAddress))
            return JSONResponse(Self.view(voided, account: account, replayed: false))
        }
    }

    func addAgentRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.patch("accounts/{id}", role: .supervisor) { request, context in
            let body = try await request.decodeJSON(VerificationBody.self, limit: limits.small)
            let updated = try await decisions.setVerification(of: try accountId(context), tier: body.tier, country: body.country, by: context.source)
            return JSONResponse(AccountView(updated))
        }
        group.get("risk/policy", role: .supervisor) { _, context in
            return JSONResponse(try await policies.current())
        }
        group.put("risk/policy", role: .admin) { request, context in
            let policy = try await request.decodeJSON(RiskPolicy.self, limit: limits.small)
            try await policies.save(policy, audit: context.audit("risk.policy_changed", subjectKind: "setting", subjectId: RiskPolicySource.key))
            return JSONResponse(policy)
        }
    }
}
