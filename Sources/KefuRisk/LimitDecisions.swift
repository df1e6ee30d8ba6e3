import Crypto
import Foundation
import KefuCore
import KefuStore

/// The wallet backend's question, "may this transfer or withdrawal go ahead?", answered by the
/// policy's rules against the account's counted activity and recorded, in one transaction per
/// account (`AuthorizationRepository.authorize(…, decide:)`), so parallel requests never pass a
/// cap together. Also the other things the backend and supervisors do to decisions: read one,
/// void one, change an account's verification.
public struct LimitDecisions: Sendable {
    public typealias Repositories = AuthorizationRepository & AccountRepository

    let store: any Repositories
    let policies: RiskPolicySource
    let now: @Sendable () -> Date

    public init(store: any Repositories, policies: RiskPolicySource, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.policies = policies
        self.now = now
    }

    /// A movement as the backend describes it, before it is checked.
    public struct Movement: Sendable {
        public var kind: String
        public var asset: String
        public var amount: String
        public var valueUsd: String
        public var destination: String?
        public var country: String?
        public var idempotencyKey: String

        public init(
            kind: String, asset: String, amount: String, valueUsd: String, destination: String?, country: String?, idempotencyKey: String
        ) {
            self.kind = kind
            self.asset = asset
            self.amount = amount
            self.valueUsd = valueUsd
            self.destination = destination
            self.country = country
            self.idempotencyKey = idempotencyKey
        }
    }

    /// Decides and records; the same idempotency key answers the first decision (`replayed`).
    public func decide(_ movement: Movement, for accountId: AccountID) async throws -> (authorization: Authorization, account: Account, replayed: Bool) {
        let new = try Self.validate(movement)
        let account = try await account(accountId)
        let policy = try await policies.current()
        // Not a decision (nothing is recorded): Kefu was asked about money it has no rules for.
        guard policy.supports(asset: new.asset) else { throw RiskError.assetNotSupported(new.asset) }
        let now = now()
        do {
            let (authorization, replayed) = try await store.authorize(
                accountId: account.id, new, now: now, decide: { AuthorizationRules.decide(new.request, activity: $0, policy: policy, now: now) })
            return (authorization, account, replayed)
        } catch StoreError.conflict {
            throw RiskError.conflict("idempotency_key")
        }
    }

    /// One of the account's decisions.
    public func authorization(_ id: String, of accountId: AccountID) async throws -> (Authorization, Account) {
        let account = try await account(accountId)
        guard let authorization = try await store.authorization(id: id), authorization.accountId == account.id else {
            throw RiskError.notFound("authorization")
        }
        return (authorization, account)
    }

    /// Gives a counted authorization's amount back (the movement did not happen).
    public func void(_ id: String, of accountId: AccountID, by caller: String, source: ActionSource) async throws -> (Authorization, Account) {
        let (existing, account) = try await authorization(id, of: accountId)
        guard
            let voided = try await store.voidAuthorization(
                id: existing.id, accountId: account.id, at: now(),
                audit: AuditEvent(
                    actor: .system, action: "authorization.voided", subjectKind: "authorization", subjectId: existing.id,
                    detail: ["service": caller, "account": account.id.rawValue], clientAddress: source.clientAddress))
        else { throw RiskError.conflict("authorization") }
        return (voided, account)
    }

    /// A supervisor sets the verification tier and/or the verified country ("" clears it).
    public func setVerification(of accountId: AccountID, tier: Int?, country rawCountry: String?, by source: ActionSource) async throws -> Account {
        var failure = ValidationFailure()
        if let tier, !RiskPolicy.tierRange.contains(tier) { failure.add("tier", .notOneOf(RiskPolicy.tierRange.map(String.init))) }
        if let rawCountry, !rawCountry.isEmpty, !Self.isCountry(rawCountry) { failure.add("country", .invalid) }
        if !failure.isEmpty { throw RiskError.invalid(failure) }
        let account = try await account(accountId)
        let country: String?? = rawCountry.map { $0.isEmpty ? nil : $0.uppercased() }
        var detail: [String: String] = [:]
        if let tier { detail["tier"] = "\(account.tier) → \(tier)" }
        if let country { detail["country"] = "\(account.country ?? "-") → \(country ?? "-")" }
        return try await store.updateAccountVerification(
            accountId: account.id, tier: tier, country: country,
            audit: source.audit("account.verification_changed", subjectKind: "account", subjectId: account.id.rawValue, detail: detail))
    }

    func account(_ id: AccountID) async throws -> Account {
        guard let account = try await store.account(id: id) else { throw RiskError.notFound("account") }
        return account
    }

    // MARK: - Checking a movement

    public static func isCountry(_ text: String) -> Bool { text.count == 2 && text.allSatisfy { $0.isASCII && $0.isLetter } }

    /// Every field problem at once; the request's fingerprint makes a reused idempotency key
    /// with a different movement a conflict.
    public static func validate(_ movement: Movement) throws(RiskError) -> NewAuthorization {
        var failure = ValidationFailure()
        let kind = MovementKind(rawValue: movement.kind)
        if kind == nil { failure.add("kind", .notOneOf(MovementKind.allCases.map(\.rawValue))) }
        let asset = movement.asset.trimmingCharacters(in: .whitespaces)
        if !RiskPolicy.isAssetSymbol(asset) { failure.add("asset", .invalid) }
        if !isAmount(movement.amount) { failure.add("amount", .invalid) }
        var value: USD?
        do {
            value = try USD.parse(movement.valueUsd)
            if value == .zero { failure.add("valueUsd", .invalid) }
        } catch .tooPrecise {
            failure.add("valueUsd", .rule("at_most_6_decimals"))
        } catch {
            failure.add("valueUsd", .invalid)
        }
        if let destination = movement.destination, destination.isEmpty || destination.count > 200 || destination.contains(where: \.isNewline) {
            failure.add("destination", .invalid)
        }
        if let country = movement.country, !isCountry(country) { failure.add("country", .invalid) }
        let key = movement.idempotencyKey
        if key.isEmpty || key.count > 100 || key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            failure.add("idempotencyKey", .invalid)
        }
        guard failure.isEmpty, let kind, let value else { throw .invalid(failure) }
        let request = AuthorizationRequest(kind: kind, value: value, destination: movement.destination, country: movement.country?.uppercased())
        let fingerprint = [kind.rawValue, asset, movement.amount, value.description, movement.destination ?? "", request.country ?? ""]
            .joined(separator: "\u{1f}")
        let hash = SHA256.hash(data: Data(fingerprint.utf8)).map { String(format: "%02x", $0) }.joined()
        return NewAuthorization(idempotencyKey: key, requestHash: hash, request: request, asset: asset, amount: movement.amount)
    }

    /// A positive decimal string, as sent (asset amounts are recorded, not summed).
    public static func isAmount(_ text: String) -> Bool {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, (1...30).contains(whole.count), whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        if parts.count == 2 { guard (1...18).contains(parts[1].count), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false } }
        return text.contains(where: { $0 != "0" && $0 != "." })
    }
}
