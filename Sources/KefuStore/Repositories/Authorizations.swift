import Foundation
import KefuCore

/// The limits and risk engine's records. `authorize` is atomic per account: parallel requests
/// for one account are decided one after the other, each seeing the ones before.
public protocol AuthorizationRepository: Sendable {
    /// Decides with `decide` against the account's activity and records the decision, in one
    /// transaction. The same idempotency key returns the first record (`replayed`); with a
    /// different request it is `StoreError.conflict`. `StoreError.notFound` for no account.
    func authorize(
        accountId: AccountID, _ new: NewAuthorization, now: Date,
        decide: @Sendable (AccountActivity) -> Decision
    ) async throws -> (authorization: Authorization, replayed: Bool)
    func authorization(id: String) async throws -> Authorization?
    /// Voids a counted authorization (its amount is given back); nil when there is none to void.
    func voidAuthorization(id: String, accountId: AccountID, at: Date, audit: AuditEvent) async throws -> Authorization?
    /// The account's counted usage of a kind, for display (same figures a decision would see).
    func accountActivity(accountId: AccountID, kind: MovementKind, destination: String?, now: Date) async throws -> AccountActivity?
    /// Sets the verification tier and/or the verified country (nil leaves it), audited.
    func updateAccountVerification(accountId: AccountID, tier: Int?, country: String??, audit: AuditEvent) async throws -> Account
    /// When the oldest counted movement of each kind still inside the 24-hour and the 30-day
    /// window happened: each window starts to free up that long after it. Kinds with nothing
    /// counted in 30 days are absent. Exact however many movements the account has.
    func windowStarts(accountId: AccountID, now: Date) async throws -> [MovementKind: WindowStarts]
    /// Held authorizations, oldest first: everyone's (the review queue) or one account's.
    func heldAuthorizations(accountId: AccountID?, limit: Int) async throws -> [Authorization]
    /// The account's latest authorizations, newest first.
    func authorizations(accountId: AccountID, limit: Int) async throws -> [Authorization]
    /// The steps agents took on a hold, by time (steps in the same millisecond in no set order).
    func holdReviews(authorizationId: String) async throws -> [HoldReview]
    /// An agent's review, in one transaction: a rejection ends the hold; a release ends it too,
    /// unless the value is at least `twoPersonFrom` and no other agent approved it yet (then it
    /// is recorded as the first approval). Audited as `authorization.hold_approve/release/reject`
    /// (`audit` gives the actor and subject).
    func reviewHold(
        id: String, by agent: AgentID, release: Bool, note: String, twoPersonFrom: USD?, at: Date, audit: AuditEvent
    ) async throws -> HoldOutcome
}

/// The oldest counted movements still inside an account's rolling windows.
public struct WindowStarts: Sendable, Equatable {
    public var oldest24h: Date?
    public var oldest30d: Date

    public init(oldest24h: Date?, oldest30d: Date) {
        self.oldest24h = oldest24h
        self.oldest30d = oldest30d
    }
}

/// A machine caller (the wallet's backend) with one scope, e.g. `risk`.
public struct ServiceToken: Sendable, Equatable {
    public var id: String
    public var name: String
    public var scope: String
    /// A `channel` token bound to one API inbox (nil: every API inbox).
    public var inboxId: InboxID?

    public init(id: String, name: String, scope: String, inboxId: InboxID? = nil) {
        self.id = id
        self.name = name
        self.scope = scope
        self.inboxId = inboxId
    }
}

public protocol ServiceTokenRepository: Sendable {
    func createServiceToken(name: String, scope: String, inboxId: InboxID?, tokenHash: String, audit: AuditEvent) async throws -> ServiceToken
    /// The live (unrevoked) token with this hash.
    func serviceToken(tokenHash: String) async throws -> ServiceToken?
}
