import Foundation
import KefuMail

/// How the email channel is set up (from KEFU_SUPPORT_ADDRESS, KEFU_SMTP_RELAY and friends).
public struct EmailSettings: Sendable {
    /// The official support address customers write to; mail goes out from it.
    public var supportAddress: String
    /// The name shown with it.
    public var supportName: String
    /// Outbound relay; nil keeps outgoing mail in the local outbox (admins read it in the console).
    public var relay: SMTPRelay?
    /// A customer's new mail about a resolved conversation reopens it within this time.
    public var reopenWindow: TimeInterval
    /// The response time promised in the acknowledgement mail.
    public var responseHours: Int
    public var maxMessageSize: Int
    /// A chat reply is mailed to a visitor who left an email only if still unread after this.
    public var chatReplyDelay: TimeInterval
    /// Where agents' replies say their verification codes are checked (the composition sets it
    /// from the public address).
    public var signature = AgentSignature(publicURL: "")

    public init(
        supportAddress: String, supportName: String = "Kefu Support 客服", relay: SMTPRelay? = nil, reopenWindow: TimeInterval = 14 * 86400,
        responseHours: Int = 24, maxMessageSize: Int = 25 << 20, chatReplyDelay: TimeInterval = 120
    ) {
        self.chatReplyDelay = chatReplyDelay
        self.supportAddress = supportAddress.lowercased()
        self.supportName = supportName
        self.relay = relay
        self.reopenWindow = reopenWindow
        self.responseHours = responseHours
        self.maxMessageSize = maxMessageSize
    }

    public var domain: String { String(supportAddress.split(separator: "@").last ?? "localhost") }

    /// `support+c-TOKEN@domain`: replies to it find their conversation even without headers.
    public func replyAddress(token: String, base: String? = nil) -> String {
        let address = base ?? supportAddress
        let parts = address.split(separator: "@", maxSplits: 1)
        return "\(parts[0])+c-\(token)@\(parts.count > 1 ? parts[1] : "localhost")"
    }

    /// The address without a "+c-TOKEN" tag, and the token if there was one.
    /// Built once: a regex literal is compiled again on every evaluation (10 % of a received
    /// mail's CPU, with the subject's below, in the SMTP profile).
    nonisolated(unsafe) static let taggedAddress = /([^@+]+)\+c-([a-z2-7]{12})@(.+)/

    public static func untagged(_ address: String) -> (base: String, token: String?) {
        let lower = address.lowercased()
        guard let match = lower.wholeMatch(of: taggedAddress) else { return (lower, nil) }
        return ("\(match.output.1)@\(match.output.3)", String(match.output.2))
    }

    /// A fresh Message-ID in Kefu's domain.
    public func newMessageId() -> String { "kefu.\(UUID().uuidString.lowercased())@\(domain)" }
}
