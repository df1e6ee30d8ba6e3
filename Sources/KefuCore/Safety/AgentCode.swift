import Foundation

/// The verification code an agent's replies carry: eight characters from an alphabet without
/// look-alikes (no 0/O, 1/I/L), shown as `ABCD-EFGH`. One code per agent, conversation and UTC
/// day, drawn at random (never derived from who the agent is, so codes say nothing about
/// agents and cannot be enumerated: 31⁸ ≈ 8.5 × 10¹¹ values behind a per-address limit). A customer
/// checks it on `/help/verify`, in the widget or with the official bot's `/verify`; it is
/// genuine only for the customer of the conversation it was given in, for seven days.
public enum AgentCode {
    public static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")  // 31 symbols
    public static let length = 8
    /// How long a code still checks as genuine after the day it was issued.
    public static let lifetime: TimeInterval = 7 * 86_400

    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The code in `text` as stored (upper case, no separators), or nil when it cannot be one.
    /// People type it with spaces, hyphens, lower case or full-width letters.
    public static func normalized(_ text: String) -> String? {
        guard text.unicodeScalars.count <= 64 else { return nil }
        let folded = text.precomposedStringWithCompatibilityMapping.uppercased()
            .filter { !($0 == "-" || $0 == " " || $0 == "\u{3000}" || $0 == "—" || $0 == "–") }
        guard folded.count == length, folded.allSatisfy(alphabet.contains) else { return nil }
        return folded
    }

    /// `ABCD-EFGH`.
    public static func display(_ code: String) -> String {
        guard code.count == length else { return code }
        return String(code.prefix(4)) + "-" + String(code.suffix(4))
    }

    /// The UTC day a code is issued for.
    public static func day(of date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 86_400).rounded(.down)) }

    /// Until when a code issued on `day` checks as genuine.
    public static func expiry(ofDay day: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(day + 1) * 86_400 + lifetime) }
}

/// An issued code: whose, where, until when.
public struct AgentCodeRecord: Sendable, Equatable {
    public var code: String
    public var agentId: AgentID
    public var conversationId: ConversationID
    public var createdAt: Date
    public var expiresAt: Date

    public init(code: String, agentId: AgentID, conversationId: ConversationID, createdAt: Date, expiresAt: Date) {
        self.code = code
        self.agentId = agentId
        self.conversationId = conversationId
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
