import Foundation
import KefuConversations
import KefuCore
import KefuStore

/// The one place where the services' domain errors become what a client sees: problem+json
/// for the API, the console's and account pages' error page, and the widget's error frames.
extension APIError {
    /// The problem for a domain error; nil for an error that is not one (a bug: 500).
    init?(domain error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as ValidationFailure:
            self = .validation(error)
        case let error as ConversationError:
            switch error {
            case .notFound(let what): self = .notFound(what)
            case .invalid(let failure): self = .validation(failure)
            }
        case StoreError.notFound(let what):
            self = .notFound(what)
        case StoreError.conflict:
            self = .conflict("resource")
        default:
            return nil
        }
    }
}
