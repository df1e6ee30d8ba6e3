import Foundation
import KefuCore

public enum HelpError: Error, Equatable, Sendable {
    case invalid(ValidationFailure)
    case notFound(String)
    /// Someone saved meanwhile, the slug is taken, or the article is not in a state for this.
    case conflict(String)
    /// Writing help articles needs the editor right.
    case notEditor
    /// The Markdown renderer is full or ran out of time on a busy machine: try again shortly.
    case rendererBusy
}
