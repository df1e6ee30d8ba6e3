import Foundation
import KefuCore
import KefuStore

/// Builds each event's body, `{"type", "timestamp", "data"}`, from the stored records it names
/// (as the API shows them: ISO 8601 times, camelCase keys). One body per event, shared by every
/// subscription that wants it, and signed as these exact bytes.
public struct WebhookPayloads: Sendable {
    public typealias Repositories = MessageRepository & ConversationRepository & ContactRepository & AuthorizationRepository & SatisfactionRepository

    let store: any Repositories

    public init(store: any Repositories) {
        self.store = store
    }

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    struct Envelope<Data: Encodable>: Encodable {
        let type: String
        let timestamp: Date
        let data: Data
    }

    struct ConversationData: Encodable {
        let conversation: Conversation
        let contact: Contact?
        /// conversation.updated: which fields changed ("status", "assignee", "team", "priority", "labels").
        let changed: [String]?
    }

    struct MessageData: Encodable {
        let conversationId: ConversationID
        let conversationNumber: Int64
        let inboxId: InboxID
        let contactId: ContactID
        let message: Message
    }

    struct AuthorizationData: Encodable {
        let id: String
        let accountId: AccountID
        let kind: MovementKind
        let asset: String
        let amount: String
        let valueUsd: USD
        let destination: String?
        let status: AuthorizationStatus
        let code: DecisionCode
        let holds: [DecisionCode]
        let createdAt: Date
        let updatedAt: Date
    }

    struct TypingData: Encodable {
        let conversationId: String
        let inboxId: InboxID?
        let author: Author
        let isTyping: Bool
    }

    struct SecurityEventData: Encodable {
        let accountId: String
        let kind: String
        let detail: [String: String]
    }

    struct SurveyData: Encodable {
        let surveyId: SurveyID
        let conversationId: ConversationID
        let conversationNumber: Int64
        let inboxId: InboxID
        let contactId: ContactID
        let resolution: Int
        let locale: String
        /// The signed page where the customer rates (csat_requested only).
        let ratingUrl: String?
        let rating: Int?
        let comment: String?
        let agentId: AgentID?
        let teamId: TeamID?
    }

    /// The body for `event`, or nil when what it names is gone (nothing is sent then).
    public func body(for event: OutboundEventRecord) async throws -> String? {
        let encoded: Foundation.Data?
        switch event.type {
        case .conversationCreated, .conversationUpdated:
            guard let conversation = try await store.conversation(id: ConversationID(rawValue: event.subjectId)) else { return nil }
            let changed = event.type == .conversationUpdated ? event.detail["changed"]?.split(separator: ",").map(String.init) : nil
            let data = ConversationData(conversation: conversation, contact: try await store.contact(id: conversation.contactId), changed: changed)
            encoded = try encode(event, data)
        case .messageCreated:
            guard let message = try await store.message(id: MessageID(rawValue: event.subjectId)),
                let conversation = try await store.conversation(id: message.conversationId)
            else { return nil }
            encoded = try encode(
                event,
                MessageData(
                    conversationId: conversation.id, conversationNumber: conversation.number, inboxId: conversation.inboxId,
                    contactId: conversation.contactId, message: message))
        case .authorizationHeld, .authorizationReleased, .authorizationRejected:
            guard let authorization = try await store.authorization(id: event.subjectId) else { return nil }
            encoded = try encode(
                event,
                AuthorizationData(
                    id: authorization.id, accountId: authorization.accountId, kind: authorization.kind, asset: authorization.asset,
                    amount: authorization.amount, valueUsd: authorization.value, destination: authorization.destination,
                    status: authorization.status, code: authorization.decision.code, holds: authorization.decision.holds,
                    createdAt: authorization.createdAt, updatedAt: authorization.updatedAt))
        case .conversationTyping:
            let author = Author(kind: .agent, id: event.detail["agentId"])
            encoded = try encode(
                event, TypingData(conversationId: event.subjectId, inboxId: event.inboxId, author: author, isTyping: event.detail["isTyping"] == "true"))
        case .csatRequested, .csatAnswered:
            guard let survey = try await store.survey(id: SurveyID(rawValue: event.subjectId)),
                let conversation = try await store.conversation(id: survey.conversationId)
            else { return nil }
            let answered = event.type == .csatAnswered
            encoded = try encode(
                event,
                SurveyData(
                    surveyId: survey.id, conversationId: conversation.id, conversationNumber: conversation.number, inboxId: survey.inboxId,
                    contactId: conversation.contactId, resolution: survey.resolution, locale: survey.locale,
                    ratingUrl: answered ? nil : event.detail["ratingUrl"], rating: answered ? survey.answer?.rating : nil,
                    comment: answered ? survey.answer?.comment : nil, agentId: survey.agentId, teamId: survey.teamId))
        case .accountSecurityEvent:
            var detail = event.detail
            let kind = detail.removeValue(forKey: "kind") ?? "unknown"
            encoded = try encode(event, SecurityEventData(accountId: event.subjectId, kind: kind, detail: detail))
        }
        return encoded.map { String(decoding: $0, as: UTF8.self) }
    }

    func encode<T: Encodable>(_ event: OutboundEventRecord, _ data: T) throws -> Foundation.Data {
        try Self.encoder.encode(Envelope(type: event.type.rawValue, timestamp: event.createdAt, data: data))
    }
}
