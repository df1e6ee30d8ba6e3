import Foundation

/// What outside systems can subscribe to (signed webhooks). Later features add theirs.
public enum OutboundEventType: String, Sendable, Codable, CaseIterable {
    case conversationCreated = "conversation.created"
    /// Status, assignee, team, priority or labels changed.
    case conversationUpdated = "conversation.updated"
    /// A customer's message or an agent's reply; private notes only for subscriptions that ask.
    case messageCreated = "message.created"
    case authorizationHeld = "authorization.held"
    case authorizationReleased = "authorization.released"
    case authorizationRejected = "authorization.rejected"
    /// A wallet account's security event (sign-in, password, 2FA, email, devices).
    case accountSecurityEvent = "account.security_event"
    /// An agent started or stopped typing (for the API channel's app; nothing is stored).
    case conversationTyping = "conversation.typing"
    /// A resolved conversation's customer is asked how it went: the app shows `ratingUrl`.
    case csatRequested = "conversation.csat_requested"
    /// The customer rated the resolution (1–5, with a comment when they wrote one).
    case csatAnswered = "conversation.csat_answered"
}
