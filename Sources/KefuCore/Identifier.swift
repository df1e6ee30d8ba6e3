import Foundation

/// A typed identifier: a lowercase UUID string, so an agent id can never be passed where a
/// conversation id is expected. Encoded as a bare string in JSON and in the database.
public struct Identifier<Tag>: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Parses a client-supplied id; nil when it is not a UUID (so a bad id is a 404, never a query).
    public init?(validating string: String) {
        guard let uuid = UUID(uuidString: string) else { return nil }
        self.rawValue = uuid.uuidString.lowercased()
    }

    /// A fresh, random identifier.
    public static func generate() -> Self { Self(rawValue: UUID().uuidString.lowercased()) }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Self(validating: value) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a UUID"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

public enum AgentTag {}
public enum TeamTag {}
public enum ContactTag {}
public enum InboxTag {}
public enum ConversationTag {}
public enum MessageTag {}
public enum AttachmentTag {}

public typealias AgentID = Identifier<AgentTag>
public typealias TeamID = Identifier<TeamTag>
public typealias ContactID = Identifier<ContactTag>
public typealias InboxID = Identifier<InboxTag>
public typealias ConversationID = Identifier<ConversationTag>
public typealias MessageID = Identifier<MessageTag>
public typealias AttachmentID = Identifier<AttachmentTag>
