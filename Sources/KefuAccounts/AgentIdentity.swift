import Foundation
import KefuCore

/// The identity behind a request once a bearer token or console cookie has been checked.
public struct AgentIdentity: Sendable {
    public var agent: Agent
    public var sessionId: String
    /// Set for console (cookie) sessions; unsafe requests must echo it.
    public var csrfToken: String?
    /// True when admins require 2FA and this agent has not enrolled: only enrolment is allowed.
    public var mustEnrollTwoFactor: Bool

    public init(agent: Agent, sessionId: String, csrfToken: String?, mustEnrollTwoFactor: Bool) {
        self.agent = agent
        self.sessionId = sessionId
        self.csrfToken = csrfToken
        self.mustEnrollTwoFactor = mustEnrollTwoFactor
    }
}
