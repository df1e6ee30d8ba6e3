import Foundation

/// What became of an authorization. Approved, held and released ones count against the
/// windows; a denial never did, and rejecting or voiding gives the amount back.
public enum AuthorizationStatus: String, Sendable, Codable, CaseIterable {
    case approved
    case held
    case denied
    /// A hold an agent let through.
    case released
    /// A hold an agent stopped.
    case rejected
    /// Cancelled by the wallet's backend (the movement did not happen).
    case voided

    public var counts: Bool { self == .approved || self == .held || self == .released }

    /// Where a fresh decision starts.
    public init(_ outcome: DecisionOutcome) {
        switch outcome {
        case .approved: self = .approved
        case .held: self = .held
        case .denied: self = .denied
        }
    }
    public static let counted: [AuthorizationStatus] = allCases.filter(\.counts)
}

/// A decision Kefu made about moving money, as stored.
public struct Authorization: Sendable, Equatable {
    public var id: String
    public var accountId: AccountID
    public var idempotencyKey: String
    public var kind: MovementKind
    public var asset: String
    /// The asset amount as sent (a decimal string); limits are in USD.
    public var amount: String
    public var value: USD
    public var destination: String?
    public var country: String?
    public var decision: Decision
    public var status: AuthorizationStatus
    public var retryAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, accountId: AccountID, idempotencyKey: String, kind: MovementKind, asset: String, amount: String, value: USD,
        destination: String?, country: String?, decision: Decision, status: AuthorizationStatus, retryAt: Date?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.idempotencyKey = idempotencyKey
        self.kind = kind
        self.asset = asset
        self.amount = amount
        self.value = value
        self.destination = destination
        self.country = country
        self.decision = decision
        self.status = status
        self.retryAt = retryAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A request to decide, as the store receives it (validated by the caller).
public struct NewAuthorization: Sendable, Equatable {
    public var idempotencyKey: String
    /// A digest of the request's fields: the same key with another request is a conflict.
    public var requestHash: String
    public var request: AuthorizationRequest
    public var asset: String
    public var amount: String

    public init(idempotencyKey: String, requestHash: String, request: AuthorizationRequest, asset: String, amount: String) {
        self.idempotencyKey = idempotencyKey
        self.requestHash = requestHash
        self.request = request
        self.asset = asset
        self.amount = amount
    }
}

/// An agent's step on a held authorization.
public enum HoldAction: String, Sendable, Codable {
    /// The first of two approvals (a release above the two-person amount).
    case approve
    case release
    case reject
}

public struct HoldReview: Sendable, Equatable {
    public var id: String
    public var authorizationId: String
    public var agentId: AgentID
    public var action: HoldAction
    /// Why (required): what the agent checked.
    public var note: String
    public var createdAt: Date

    public init(id: String, authorizationId: String, agentId: AgentID, action: HoldAction, note: String, createdAt: Date) {
        self.id = id
        self.authorizationId = authorizationId
        self.agentId = agentId
        self.action = action
        self.note = note
        self.createdAt = createdAt
    }
}

/// What an agent's review of a hold did.
public enum HoldOutcome: Sendable, Equatable {
    case released(Authorization)
    case rejected(Authorization)
    /// Recorded as the first approval; another agent must release it.
    case awaitingSecondApproval(Authorization)
    /// The same agent approved it already: a second pair of eyes is needed.
    case sameApprover
    /// Not (or no longer) held.
    case notHeld
}
