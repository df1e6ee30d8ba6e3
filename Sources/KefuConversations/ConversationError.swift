import Foundation
import KefuCore

/// What the conversations service refuses, in domain terms; the web maps it to problem+json.
public enum ConversationError: Error, Equatable, Sendable {
    /// The named thing ("conversation", "inbox", "agent", "team", "attachment") does not exist
    /// or is not the caller's to use.
    case notFound(String)
    /// Fields the caller must fix.
    case invalid(ValidationFailure)
    /// The thing is not in a state for this ("survey": not sent, skipped, or closed).
    case conflict(String)

    static func invalid(_ field: String, _ problem: FieldProblem) -> Self { .invalid(ValidationFailure(field, problem)) }
}
