import Foundation
import KefuAccounts
import KefuChannels
import KefuConversations
import KefuCore
import KefuHelp
import KefuQuality
import KefuRisk
import KefuStore

/// An error a client can be told about: the services' domain errors and the web's own. The one
/// place where each becomes what a client sees (problem+json for the API, the console's and
/// account pages' messages, the widget's error frames).
protocol ProblemConvertible: Error {
    var problem: APIError { get }
}

/// What a service refuses (and the web's own problems): the errors a page or socket handler
/// answers in place (a form shown again, a redirect, an error frame). Store errors and raw
/// validation failures are not among them: they reach the error page or end the socket, as
/// they always did.
protocol DomainProblem: ProblemConvertible {}

extension APIError: DomainProblem {}
extension ConversationError: DomainProblem {}
extension AccountError: DomainProblem {}
extension RiskError: DomainProblem {}
extension WebchatError: DomainProblem {}
extension TelegramChannelError: DomainProblem {}
extension WebhookError: DomainProblem {}
extension APIChannelError: DomainProblem {}
extension AnnouncementError: DomainProblem {}
extension HelpError: DomainProblem {}
extension QualityError: DomainProblem {}

extension APIError: ProblemConvertible {
    var problem: APIError { self }

    /// The problem for an error a client may be told about; nil for anything else (a bug: 500).
    init?(domain error: any Error) {
        guard let convertible = error as? any ProblemConvertible else { return nil }
        self = convertible.problem
    }
}

extension ValidationFailure: ProblemConvertible {
    var problem: APIError { .validation(self) }
}

extension StoreError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .notFound(let what): .notFound(what)
        case .conflict: .conflict("resource")
        case .undecodable: .internalError
        }
    }
}

extension ConversationError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .notFound(let what): .notFound(what)
        case .invalid(let failure): .validation(failure)
        case .conflict(let what): .conflict(what)
        }
    }
}

extension AccountError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .unauthenticated: .unauthenticated
        case .invalidCredentials: .invalidCredentials
        case .otpRequired: .otpRequired
        case .invalidOTP: .invalidOTP
        case .invalidToken: .invalidToken
        case .forbidden: .forbidden
        case .approvalByRequester: .approvalByRequester
        case .tooManyAttempts(let seconds): .tooManyAttempts(retryAfter: seconds)
        case .conflict(let what): .conflict(what)
        case .notFound(let what): .notFound(what)
        case .invalid(let failure): .validation(failure)
        }
    }
}

extension RiskError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .invalid(let failure): .validation(failure)
        case .notFound(let what): .notFound(what)
        case .conflict(let what): .conflict(what)
        case .assetNotSupported(let asset): .assetNotSupported(asset)
        }
    }
}

extension WebchatError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .notFound(let what): .notFound(what)
        case .invalid(let failure): .validation(failure)
        case .tooManyCodes(let seconds): .tooManyAttempts(retryAfter: seconds)
        case .invalidCode: .invalidOTP
        case .notSignedIn: .unauthenticated
        }
    }
}

extension TelegramChannelError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .tokenMalformed: .validation("botToken", .invalid)
        case .tokenRefused: .telegramTokenRefused
        case .telegramUnavailable: .telegramUnavailable
        case .botTaken: .conflict("telegram_bot")
        }
    }
}

extension WebhookError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .invalid(let failure): .validation(failure)
        case .notFound(let what): .notFound(what)
        }
    }
}

extension APIChannelError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .invalid(let failure): .validation(failure)
        case .notFound(let what): .notFound(what)
        }
    }
}

extension AnnouncementError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .invalid(let failure): .validation(failure)
        case .notFound(let what): .notFound(what)
        case .conflict(let what): .conflict(what)
        }
    }
}

extension HelpError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .invalid(let failure): .validation(failure)
        case .notFound(let what): .notFound(what)
        case .conflict(let what): .conflict(what)
        case .notEditor: .forbidden
        case .rendererBusy: .rendererBusy
        }
    }
}

extension QualityError: ProblemConvertible {
    var problem: APIError {
        switch self {
        case .invalid(let failure): .validation(failure)
        case .notFound(let what): .notFound(what)
        case .conflict(let what): .conflict(what)
        case .holidayImport(let error):
            switch error {
            case .notACalendar: .validation("ics", .rule("not_a_calendar"))
            case .tooLarge: .validation("ics", .rule("too_large"))
            case .tooManyDays: .validation("ics", .rule("too_many_days"))
            case .malformed: .validation("ics", .rule("malformed"))
            }
        case .tooManyWrites(let seconds): APIError(kind: .tooManyAttempts(retryAfter: seconds))
        }
    }
}
