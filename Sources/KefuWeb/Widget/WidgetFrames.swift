import Foundation
import KefuCore
import KefuRealtime
import KefuSafety

/// The JSON frames of the widget WebSocket (docs/widget-protocol.md describes each).
enum WidgetFrame {
    /// What a visitor's browser sends.
    struct Inbound: Decodable {
        let type: String
        let clientMsgId: String?
        let text: String?
        let isTyping: Bool?
        let email: String?
        let attachmentIds: [String]?
        let seq: Int64?
        /// A rating frame: the survey and the rating (1–5); `text` is the comment.
        let surveyId: String?
        let rating: Int?
    }

    struct AttachmentFrame: Encodable, Sendable {
        let id: AttachmentID
        let filename: String
        let contentType: String
        let size: Int64
    }

    /// What the server sends; encoded with the API encoder (sorted keys, ISO dates).
    enum Outbound: Encodable, Sendable {
        case hello(Hello)
        case message(MessageFrame)
        case conversation(ConversationFrame)
        case ack(Ack)
        case typing(Typing)
        case saved(Saved)
        case read(ReadMarkFrame)
        case rated(Rated)
        case error(ErrorFrame)

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .hello(let frame): try frame.encode(to: encoder)
            case .message(let frame): try frame.encode(to: encoder)
            case .conversation(let frame): try frame.encode(to: encoder)
            case .ack(let frame): try frame.encode(to: encoder)
            case .typing(let frame): try frame.encode(to: encoder)
            case .saved(let frame): try frame.encode(to: encoder)
            case .read(let frame): try frame.encode(to: encoder)
            case .rated(let frame): try frame.encode(to: encoder)
            case .error(let frame): try frame.encode(to: encoder)
            }
        }

        func json() -> String {
            (try? String(decoding: JSONEncoder.api.encode(self), as: UTF8.self)) ?? #"{"type":"error","code":"internal_error"}"#
        }
    }

    struct Hello: Encodable, Sendable {
        let type = "hello"
        let contactId: ContactID
        let conversationId: ConversationID?
        let lastSeq: Int64
        /// Whether an agent is taking chats now; when not, the widget offers to continue by email.
        let agentsOnline: Bool
        let emailKnown: Bool
        /// How far an agent has read in this conversation (read marks on the visitor's messages).
        let agentReadSeq: Int64
        /// When to expect an answer, from the inbox's response target, in the visitor's language.
        var expectedReply: String? = nil

        enum CodingKeys: String, CodingKey { case type, contactId, conversationId, lastSeq, agentsOnline, emailKnown, agentReadSeq, expectedReply }

        /// `conversationId` is `null` before the first message, as documented, not left out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(contactId, forKey: .contactId)
            try container.encode(conversationId, forKey: .conversationId)
            try container.encode(lastSeq, forKey: .lastSeq)
            try container.encode(agentsOnline, forKey: .agentsOnline)
            try container.encode(emailKnown, forKey: .emailKnown)
            try container.encode(agentReadSeq, forKey: .agentReadSeq)
            try container.encodeIfPresent(expectedReply, forKey: .expectedReply)
        }
    }

    struct Saved: Encodable, Sendable {
        let type = "saved"
    }

    struct AuthorFrame: Encodable, Sendable {
        let kind: AuthorKind
        let name: String?
        /// The agent's picture (same origin as the widget); absent means initials.
        let avatarUrl: String?

        init(kind: AuthorKind, name: String? = nil, avatarUrl: String? = nil) {
            self.kind = kind
            self.name = name
            self.avatarUrl = avatarUrl
        }

        init(agent: Agent?) {
            self.init(kind: .agent, name: agent?.name, avatarUrl: agent?.avatarUrl)
        }
    }

    struct MessageFrame: Encodable, Sendable {
        let type = "message"
        let conversationId: ConversationID
        let seq: Int64
        let id: MessageID
        let direction: MessageDirection
        let author: AuthorFrame
        let text: String
        let attachments: [AttachmentFrame]
        let clientMsgId: String?
        let createdAt: Date
        /// `ABCD-EFGH` on an agent's reply.
        var agentCode: String? = nil
    }

    /// A status change, as customers see it (who handled it stays inside the team).
    struct ConversationFrame: Encodable, Sendable {
        let type = "conversation"
        let conversationId: ConversationID
        let seq: Int64
        let status: ConversationStatus?
        let createdAt: Date
        /// The satisfaction survey asked here (the widget shows it in place).
        var surveyId: SurveyID? = nil
        /// The visitor's rating of it, once given.
        var rating: Int? = nil
    }

    /// A rating frame was recorded.
    struct Rated: Encodable, Sendable {
        let type = "rated"
        let surveyId: SurveyID
        let rating: Int
    }

    struct Ack: Encodable, Sendable {
        let type = "ack"
        let clientMsgId: String
        let conversationId: ConversationID
        let seq: Int64
        let id: MessageID
    }

    struct Typing: Encodable, Sendable {
        let type = "typing"
        let conversationId: ConversationID
        let isTyping: Bool
        let author: AuthorFrame
    }

    struct ErrorFrame: Encodable, Sendable {
        let type = "error"
        let code: String
        let message: String
        let clientMsgId: String?
    }

    /// The customer-facing frame for a stored message, or nil when customers must not see it.
    /// Stored markers of taken-out secrets read in the customer's language (`locale`).
    static func customerFrame(for message: Message, locale: UILocale, agent: (String?) -> Agent?) -> Outbound? {
        switch message.direction {
        case .note:
            return nil
        case .system:
            // Customers learn a status change only (never assignments or mail trouble).
            let event = message.systemEvent
            var frame = ConversationFrame(
                conversationId: message.conversationId, seq: message.seq, status: event?.customerVisibleStatus, createdAt: message.createdAt)
            if case .surveyRequested(let id)? = event { frame.surveyId = id }
            if case .surveyAnswered(let rating)? = event { frame.rating = rating }
            return .conversation(frame)
        case .incoming, .outgoing:
            let author = message.author.kind == .agent ? AuthorFrame(agent: agent(message.author.id)) : AuthorFrame(kind: message.author.kind)
            return .message(
                MessageFrame(
                    conversationId: message.conversationId, seq: message.seq, id: message.id, direction: message.direction,
                    author: author, text: SecretGuard.forCustomer(message.text, locale: locale),
                    attachments: message.attachments.map {
                        AttachmentFrame(id: $0.id, filename: $0.filename, contentType: $0.contentType, size: $0.size)
                    },
                    clientMsgId: message.clientMessageId, createdAt: message.createdAt, agentCode: message.agentCode.map(AgentCode.display)))
        }
    }
}
