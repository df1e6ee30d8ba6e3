import Foundation
import KefuCore

public enum ChannelDeliveryKind: String, Sendable, Codable, CaseIterable {
    /// An agent's reply in a conversation.
    case reply
    /// The bot's own answer (`/start`, `/help`), outside any conversation.
    case notice
    /// A supervisor's announcement posted to an official channel.
    case announcement
}

/// What to send: the text first, then each file, as separate channel messages.
public struct ChannelPayload: Sendable, Equatable, Codable {
    public struct File: Sendable, Equatable, Codable {
        public var sha256: String
        public var contentType: String
        public var filename: String

        public init(sha256: String, contentType: String, filename: String) {
            self.sha256 = sha256
            self.contentType = contentType
            self.filename = filename
        }
    }

    /// A button under the text (Telegram's inline keyboard): its callback data comes back to
    /// the bot when pressed.
    public struct Button: Sendable, Equatable, Codable {
        public var text: String
        public var callbackData: String

        public init(text: String, callbackData: String) {
            self.text = text
            self.callbackData = callbackData
        }
    }

    public var text: String
    /// The channel's id of the message this one answers (a group reply quotes it).
    public var replyTo: String?
    public var files: [File]
    /// Rows of buttons under the (last piece of the) text.
    public var buttons: [[Button]]

    public init(text: String, replyTo: String? = nil, files: [File] = [], buttons: [[Button]] = []) {
        self.text = text
        self.replyTo = replyTo
        self.files = files
        self.buttons = buttons
    }

    enum CodingKeys: String, CodingKey { case text, replyTo, files, buttons }

    /// Payloads stored before buttons existed have none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        text = try container.decode(String.self, forKey: .text)
        replyTo = try container.decodeIfPresent(String.self, forKey: .replyTo)
        files = try container.decodeIfPresent([File].self, forKey: .files) ?? []
        buttons = try container.decodeIfPresent([[Button]].self, forKey: .buttons) ?? []
    }

    /// The parts in the order they are sent: the text in pieces a channel message can hold
    /// ("text:0", "text:1"…, none when empty), then "file:0", "file:1"…
    public var parts: [String] {
        textPieces.indices.map { "text:\($0)" } + files.indices.map { "file:\($0)" }
    }

    /// Telegram takes up to 4,096 characters (UTF-16 units) a message; longer text goes in
    /// pieces, cut at a line break where there is one in the second half of a piece.
    public static let pieceLength = 4_000

    public var textPieces: [String] {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        var pieces: [String] = []
        var rest = Substring(text)
        while rest.utf16.count > Self.pieceLength {
            var end = rest.startIndex
            var units = 0
            var lastBreak: Substring.Index?
            for index in rest.indices {
                let width = rest[index].utf16.count
                if units + width > Self.pieceLength { break }
                units += width
                end = rest.index(after: index)
                if rest[index] == "\n" && units > Self.pieceLength / 2 { lastBreak = end }
            }
            let cut = lastBreak ?? end
            if cut == rest.startIndex {
                // One character wider than a piece (a letter with thousands of combining marks):
                // cut it at a scalar boundary rather than loop forever.
                let scalars = rest.unicodeScalars
                var index = scalars.startIndex
                var width = 0
                while index < scalars.endIndex, width + scalars[index].utf16.count <= Self.pieceLength {
                    width += scalars[index].utf16.count
                    index = scalars.index(after: index)
                }
                let piece = String(scalars[scalars.startIndex..<index])
                pieces.append(piece)
                rest = Substring(String(scalars[index...]))
                continue
            }
            pieces.append(String(rest[..<cut]))
            rest = rest[cut...]
        }
        if !rest.isEmpty { pieces.append(String(rest)) }
        return pieces
    }
}

public struct NewChannelDelivery: Sendable, Equatable {
    public var kind: ChannelDeliveryKind
    public var inboxId: InboxID
    /// At most one delivery per key ("reply:MESSAGE", "notice:UPDATE").
    public var dedupKey: String
    public var conversationId: ConversationID?
    public var messageRef: MessageID?
    /// Where it goes on the channel (a Telegram chat id or @channel).
    public var target: String
    public var payload: ChannelPayload

    public init(
        kind: ChannelDeliveryKind, inboxId: InboxID, dedupKey: String, conversationId: ConversationID? = nil, messageRef: MessageID? = nil,
        target: String, payload: ChannelPayload
    ) {
        self.kind = kind
        self.inboxId = inboxId
        self.dedupKey = dedupKey
        self.conversationId = conversationId
        self.messageRef = messageRef
        self.target = target
        self.payload = payload
    }
}

public struct ChannelDelivery: Sendable, Equatable {
    public var id: String
    public var kind: ChannelDeliveryKind
    public var inboxId: InboxID
    public var dedupKey: String
    public var conversationId: ConversationID?
    public var messageRef: MessageID?
    public var target: String
    public var payload: ChannelPayload
    /// Parts the channel accepted, with the id it gave each ("text=77"): never sent again.
    public var sentParts: [String: String]
    public var status: OutboxStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?
}

public protocol ChannelOutboxRepository: Sendable {
    /// Queues a delivery; a second one with the same dedup key returns the first.
    func enqueueDelivery(_ delivery: NewChannelDelivery) async throws -> (delivery: ChannelDelivery, created: Bool)
    /// Takes up to `limit` due deliveries of one kind of inbox, leased for `lease` seconds (a
    /// crashed sender's deliveries are taken again after the lease).
    func claimDueDeliveries(inboxKind: InboxKind, now: Date, lease: TimeInterval, limit: Int) async throws -> [ChannelDelivery]
    /// The channel accepted `part` as its message `channelId`: kept before anything else is sent.
    func markDeliveryPart(id: String, part: String, channelId: String) async throws
    /// The outcome of a claim. Each takes effect only while the claim is still the delivery's
    /// latest (status `sending`, attempts unchanged) and says whether it did: a sender that
    /// stalled past its lease must not overwrite what the one that took it over recorded.
    @discardableResult func markDeliverySent(_ claim: ChannelDelivery, at: Date) async throws -> Bool
    @discardableResult func markDeliveryRetry(_ claim: ChannelDelivery, error: String, nextAttemptAt: Date) async throws -> Bool
    /// Puts a claimed delivery back until `until` without counting an attempt (a rate limit).
    @discardableResult func deferDelivery(_ claim: ChannelDelivery, until: Date) async throws -> Bool
    @discardableResult func markDeliveryFailed(_ claim: ChannelDelivery, error: String) async throws -> Bool
    func delivery(id: String) async throws -> ChannelDelivery?
    func deliveries(messageRefs: [MessageID]) async throws -> [MessageID: ChannelDelivery]
    /// Agents' replies in conversations of this kind of inbox since `since` with no delivery
    /// (stored just before a crash): the sender queues them on start.
    func unsentChannelReplies(inboxKind: InboxKind, since: Date, limit: Int) async throws -> [Message]
}
