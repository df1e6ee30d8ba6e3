import Foundation
import KefuCore

/// What account and agent sign-in services refuse, in domain terms; the web maps each case to
/// its problem code once (`APIError(domain:)`), so the codes clients see stay as they were.
public enum AccountError: Error, Equatable, Sendable {
    case unauthenticated
    /// Email, password or code wrong, or no such account: never says which.
    case invalidCredentials
    case otpRequired
    case invalidOTP
    /// A mailed link's token that is unknown, used or expired.
    case invalidToken
    case forbidden
    /// Four eyes: whoever asked for something cannot also approve it.
    case approvalByRequester
    /// Limits on guesses and mails: try again after this many seconds.
    case tooManyAttempts(retryAfter: Int)
    /// The named thing ("two_factor", "account", "two_factor_reset") is in a state that forbids this.
    case conflict(String)
    case notFound(String)
    case invalid(ValidationFailure)

    public static func invalid(_ field: String, _ problem: FieldProblem) -> Self { .invalid(ValidationFailure(field, problem)) }
}
