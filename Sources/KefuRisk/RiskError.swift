import Foundation
import KefuCore

/// What the limits and risk services refuse, in domain terms; the web maps it once.
public enum RiskError: Error, Equatable, Sendable {
    case invalid(ValidationFailure)

    public static func invalid(_ field: String, _ problem: FieldProblem) -> Self {
        var failure = ValidationFailure()
        failure.add(field, problem)
        return .invalid(failure)
    }
}
