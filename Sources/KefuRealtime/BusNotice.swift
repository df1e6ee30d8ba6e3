import Foundation
import KefuCore

/// What one instance tells the others through PostgreSQL NOTIFY: which events happened, never
/// their content. A stored message travels as its conversation and `seq`; the receiver reads it
/// from the store. Ephemeral events (typing, read, delivery) are small and carry themselves.
/// NOTIFY payloads must stay under 8,000 bytes, so a batch is cut into several notices.
public struct BusNotice: Sendable, Equatable, Codable {
    /// The instance that published (an instance ignores its own notices).
    public var from: String
    public var events: [Wakeup]
    /// Settings saved (their keys): instances that cache them read them again.
    public var settings: [String]?

    public init(from: String, events: [Wakeup], settings: [String]? = nil) {
        self.from = from
        self.events = events
        self.settings = settings
    }

    /// One event, by reference when it is stored. Short keys: a notice is cut at `maxPayloadBytes`.
    public struct Wakeup: Sendable, Equatable, Codable {
        enum Kind: String, Codable { case message = "m", typing = "t", read = "r", delivery = "d" }

        var k: Kind
        var c: String
        var u: String
        var i: String
        /// The message's seq, or the seq read up to.
        var s: Int64?
        /// Who typed or read.
        var a: AuthorKind?
        var ai: String?
        var y: Bool?
        /// The delivery's message and status.
        var m: String?
        var st: String?

        /// A stored message to read back: its conversation and seq.
        public var storedMessage: (conversation: ConversationID, seq: Int64)? {
            guard k == .message, let s else { return nil }
            return (ConversationID(rawValue: c), s)
        }

        public var conversationId: ConversationID { ConversationID(rawValue: c) }
        public var contactId: ContactID { ContactID(rawValue: u) }
        public var inboxId: InboxID { InboxID(rawValue: i) }

        public init(_ event: ConversationEvent) {
            c = event.conversationId.rawValue
            u = event.contactId.rawValue
            i = event.inboxId.rawValue
            switch event.kind {
            case .message(let message):
                k = .message
                s = message.seq
            case .typing(let author, let isTyping):
                k = .typing
                a = author.kind
                ai = author.id
                y = isTyping
            case .read(let reader, let seq):
                k = .read
                a = reader
                s = seq
            case .delivery(let message, let status):
                k = .delivery
                m = message?.rawValue
                st = status
            }
        }

        /// The event itself when it carries itself (nil for a stored message: read it from the store).
        public var ephemeralEvent: ConversationEvent? {
            let kind: ConversationEvent.Kind
            switch k {
            case .message: return nil
            case .typing:
                guard let a, let y else { return nil }
                kind = .typing(Author(kind: a, id: ai), isTyping: y)
            case .read:
                guard let a, let s else { return nil }
                kind = .read(a, seq: s)
            case .delivery:
                guard let st else { return nil }
                kind = .delivery(m.map(MessageID.init(rawValue:)), status: st)
            }
            return ConversationEvent(conversationId: conversationId, contactId: contactId, inboxId: inboxId, kind: kind)
        }
    }

    /// PostgreSQL refuses payloads of 8,000 bytes or more; the margin covers the envelope.
    public static let maxPayloadBytes = 7_600

    /// `events` as payloads of at most `maxPayloadBytes` each, in order.
    public static func payloads(from instance: String, _ events: [Wakeup], limit: Int = maxPayloadBytes) -> [String] {
        let encoder = JSONEncoder()
        let envelope = (try? encoder.encode(BusNotice(from: instance, events: []))).map(\.count) ?? 64
        var payloads: [String] = []
        var batch: [Wakeup] = []
        var size = envelope
        func flush() {
            guard !batch.isEmpty, let data = try? encoder.encode(BusNotice(from: instance, events: batch)) else { return }
            payloads.append(String(decoding: data, as: UTF8.self))
            batch = []
            size = envelope
        }
        for event in events {
            // An event alone over the limit (a delivery status is the only free text, and short) is dropped, not sent broken.
            guard let length = try? encoder.encode(event).count, envelope + length < limit else { continue }
            if size + length + 1 >= limit { flush() }
            batch.append(event)
            size += length + 1
        }
        flush()
        return payloads
    }

    /// The notice in `payload`, nil when it is not one (another program's NOTIFY on the channel).
    public static func decode(_ payload: String) -> BusNotice? {
        try? JSONDecoder().decode(BusNotice.self, from: Data(payload.utf8))
    }
}
