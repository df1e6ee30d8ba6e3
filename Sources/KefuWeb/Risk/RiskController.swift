import Crypto
import Foundation
import Hummingbird
import KefuCore
import KefuRisk
import KefuStore

/// The decision service the wallet's backend calls before it moves money
/// (`POST /api/v1/accounts/{id}/authorizations`, service token with the `risk` scope), and the
/// agent-side settings of an account's limits (tier, verified country) and of the policy.
struct RiskController {
    let store: any AuthorizationRepository & AccountRepository
    let policies: RiskPolicySource
    let limits: BodyLimits
    let now: @Sendable () -> Date

    struct AuthorizationBody: Decodable {
        let kind: String
        let asset: String
        let amount: String
        let valueUsd: String
        let destination: String?
        let country: String?
        let idempotencyKey: String
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

    static func isCountry(_ text: String) -> Bool { text.count == 2 && text.allSatisfy { $0.isASCII && $0.isLetter } }

    /// Every problem with the body at once; the request as the engine and the store take it.
    static func validate(_ body: AuthorizationBody) throws -> NewAuthorization {
        var failure = ValidationFailure()
        let kind = MovementKind(rawValue: body.kind)
        if kind == nil { failure.add("kind", .notOneOf(MovementKind.allCases.map(\.rawValue))) }
        let asset = body.asset.trimmingCharacters(in: .whitespaces)
        if !RiskPolicy.isAssetSymbol(asset) { failure.add("asset", .invalid) }
        if !Self.isAmount(body.amount) { failure.add("amount", .invalid) }
        var value: USD?
        do {
            value = try USD.parse(body.valueUsd)
            if value == .zero { failure.add("valueUsd", .invalid) }
        } catch .tooPrecise {
            failure.add("valueUsd", .rule("at_most_6_decimals"))
        } catch {
            failure.add("valueUsd", .invalid)
        }
        if let destination = body.destination, destination.isEmpty || destination.count > 200 || destination.contains(where: \.isNewline) {
            failure.add("destination", .invalid)
        }
        if let country = body.country, !isCountry(country) { failure.add("country", .invalid) }
        let key = body.idempotencyKey
        if key.isEmpty || key.count > 100 || key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            failure.add("idempotencyKey", .invalid)
        }
        try failure.throwIfAny()
        guard let kind, let value else { throw APIError.validation("kind", .invalid) }
        let request = AuthorizationRequest(kind: kind, value: value, destination: body.destination, country: body.country?.uppercased())
        let fingerprint = [kind.rawValue, asset, body.amount, value.description, body.destination ?? "", request.country ?? ""].joined(separator: "\u{1f}")
        let hash = SHA256.hash(data: Data(fingerprint.utf8)).map { String(format: "%02x", $0) }.joined()
        return NewAuthorization(idempotencyKey: key, requestHash: hash, request: request, asset: asset, amount: body.amount)
    }

    /// A positive decimal string, as sent (asset amounts are recorded, not summed).
    static func isAmount(_ text: String) -> Bool {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, (1...30).contains(whole.count), whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        if parts.count == 2 { guard (1...18).contains(parts[1].count), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false } }
        return text.contains(where: { $0 != "0" && $0 != "." })
    }

    func service(_ context: KefuRequestContext) throws {
        guard let service = context.service else { throw APIError.unauthenticated }
        guard service.scope == "risk" else { throw APIError.forbidden }
    }

    func account(_ context: some RequestContext) async throws -> Account {
        let id = try context.parameters.id("id", as: AccountID.self, thing: "account")
        guard let account = try await store.account(id: id) else { throw APIError.notFound("account") }
        return account
    }

    func addServiceRoutes(to group: CatalogedGroup<KefuRequestContext>) {
        group.post("accounts/{id}/authorizations") { request, context in
            try service(context)
            let body = try await request.decodeJSON(AuthorizationBody.self, limit: limits.small)
            let new = try Self.validate(body)
            let account = try await account(context)
            let policy = try await policies.current()
            // Not a decision (nothing is recorded): Kefu was asked about money it has no rules for.
            guard policy.supports(asset: new.asset) else { throw APIError.assetNotSupported(new.asset) }
            let now = now()
            do {
                let (authorization, replayed) = try await store.authorize(
                    accountId: account.id, new, now: now,
                    decide: { AuthorizationRules.decide(new.request, activity: $0, policy: policy, now: now) })
                return JSONResponse(Self.view(authorization, account: account, replayed: replayed), status: replayed ? .ok : .created)
            } catch StoreError.conflict {
                throw APIError.conflict("idempotency_key")
            }
        }
        group.get("accounts/{id}/authorizations/{authorizationId}") { _, context in
            try service(context)
            let account = try await account(context)
            guard let authorization = try await store.authorization(id: context.parameters.get("authorizationId") ?? ""),
                authorization.accountId == account.id
            else { throw APIError.notFound("authorization") }
            return JSONResponse(Self.view(authorization, account: account, replayed: false))
        }
        group.post("accounts/{id}/authorizations/{authorizationId}/void") { _, context in
            try service(context)
            let account = try await account(context)
            let id = context.parameters.get("authorizationId") ?? ""
            guard let existing = try await store.authorization(id: id), existing.accountId == account.id else {
                throw APIError.notFound("authorization")
            }
            guard
                let voided = try await store.voidAuthorization(
                    id: id, accountId: account.id, at: now(),
                    audit: AuditEvent(
                        actor: .system, action: "authorization.voided", subjectKind: "authorization", subjectId: id,
                        detail: ["service": context.service?.name ?? "", "account": account.id.rawValue], clientAddress: context.peerAddress))
            else { throw APIError.conflict("authorization") }
            return JSONResponse(Self.view(voided, account: account, replayed: false))
        }
    }

    func addAgentRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.patch("accounts/{id}", role: .supervisor) { request, context in
            let body = try await request.decodeJSON(VerificationBody.self, limit: limits.small)
            var failure = ValidationFailure()
            if let tier = body.tier, !RiskPolicy.tierRange.contains(tier) { failure.add("tier", .notOneOf(RiskPolicy.tierRange.map(String.init))) }
            if let country = body.country, !country.isEmpty, !Self.isCountry(country) { failure.add("country", .invalid) }
            try failure.throwIfAny()
            let account = try await account(context)
            let country: String?? = body.country.map { $0.isEmpty ? nil : $0.uppercased() }
            var detail: [String: String] = [:]
            if let tier = body.tier { detail["tier"] = "\(account.tier) → \(tier)" }
            if let country { detail["country"] = "\(account.country ?? "-") → \(country ?? "-")" }
            let updated = try await store.updateAccountVerification(
                accountId: account.id, tier: body.tier, country: country,
                audit: context.audit("account.verification_changed", subjectKind: "account", subjectId: account.id.rawValue, detail: detail))
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
