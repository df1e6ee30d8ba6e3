import Foundation
import KefuCore

/// What the live-chat channel refuses, in domain terms; the web maps it to problem codes once.
public enum WebchatError: Error, Equatable, Sendable {
    /// No such webchat inbox.
    case notFound(String)
    case invalid(ValidationFailure)
    /// Code mails to this address, session or client: wait this many seconds.
    case tooManyCodes(retryAfter: Int)
    /// The mailed code is wrong, used, expired or replaced.
    case invalidCode
    /// The wallet's signed statement is missing, forged, expired or its session ended.
    case notSignedIn

    static func invalid(_ field: String, _ problem: FieldProblem) -> Self { .invalid(ValidationFailure(field, problem)) }
}
