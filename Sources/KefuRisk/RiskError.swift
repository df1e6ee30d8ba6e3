import Foundation
import KefuCore

/// What the limits and risk services refuse, in domain terms; the web maps it once.
public enum RiskError: Error, Equatable, Sendable {
    case invalid(ValidationFailure)
    /// The named thing ("account", "authorization") does not exist (for this caller).
    case notFound(String)
    /// An idempotency key reused for another movement; a decision that cannot be voided.
    case conflict(String)
    /// The policy has no rules for this asset: Kefu makes no decision on it.
    case assetNotSupported(String)

    public static func invalid(_ field: String, _ problem: FieldProblem) -> Self { .invalid(ValidationFailure(field, problem)) }
}
