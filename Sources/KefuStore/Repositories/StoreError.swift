import Foundation
import KefuCore

/// Errors a store reports in domain terms; services turn them into their own errors and the web
/// maps what is left to problem+json.
public enum StoreError: Error, Equatable, Sendable {
    /// The named row does not exist ("conversation", "account").
    case notFound(String)
    /// The write would break a rule the data keeps; the text says which ("a team with this name
    /// exists", "the idempotency key was used for another request").
    case conflict(String)
    /// A stored row could not be read back (a value this version does not know, a column of the
    /// wrong type): never reported as "not found" or "conflict", since the row is there and
    /// nobody's request caused it.
    case undecodable(String)
}
