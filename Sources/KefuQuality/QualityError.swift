import Foundation
import KefuCore

/// What the service-quality features refuse, mapped once to problem+json by the web edge.
public enum QualityError: Error, Equatable, Sendable {
    case invalid(ValidationFailure)
    case notFound(String)
    /// The thing is in use (a calendar a policy counts on) or changed meanwhile.
    case conflict(String)
    /// The uploaded holiday calendar could not be read.
    case holidayImport(HolidayImportError)
    /// Too many posts and comments from one account in the last hour.
    case tooManyWrites(retryAfter: Int)
}
