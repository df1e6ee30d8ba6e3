import Foundation
import KefuChannels
import Hummingbird
import KefuConversations
import KefuCore
import KefuRealtime
import KefuStore

/// Conversations and their messages: list with filters and cursor, read, change, reply, note.
struct ConversationController {
    typealias Repositories = ConversationRepository & MessageRepository & ContactRepository & AgentRepository & TeamRepository
    let store: any Repositories
    let conversations: ConversationService
    let limits: BodyLimits

    struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
        let items: [Item]
        let nextCursor: String?
    }

    /// A conversation with its contact, as the console and API clients need it.
    struct Detail: Encodable, Sendable {
        let conversation: Conversation
        let contact: Contact?

        enum Keys: String, CodingKey { case contact }

        func encode(to encoder: any Encoder) throws {
            try conversation.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(contact, forKey: .contact)
        }
    }

    struct ChangeBody: Decodable {
        var status: ConversationStatus?
        var priority: ConversationPriority?
        var assigneeId: AgentID??
        var teamId: TeamID??
        var labels: [String]?

        enum Keys: String, CodingKey { case status, priority, assigneeId, teamId, labels }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            status = try container.decodeIfPresent(ConversationStatus.self, forKey: .status)
            priority = try container.decodeIfPresent(ConversationPriority.self, forKey: .priority)
            labels = try container.decodeIfPresent([String].self, forKey: .labels)
            if container.contains(.assigneeId) {
                // null unassigns; a missing key leaves the assignee alone.
                assigneeId = .some(try container.decodeNil(forKey: .assigneeId) ? nil : try container.decode(AgentID.self, forKey: .assigneeId))
            }
            if container.contains(.teamId) {
                teamId = .some(try container.decodeNil(forKey: .teamId) ? nil : try container.decode(TeamID.self, forKey: .teamId))
            }
        }
    }

    struct MessageBody: Decodable {
        let text: String
        let `private`: Bool?
        let clientMessageId: String?
        let attachmentIds: [AttachmentID]?
    }

    static func filter(from request: Request, agent: Agent) throws -> ConversationFilter {
        let query = QueryReader(request: request)
        var filter = ConversationFilter(
            status: try query.enumValue("status", as: ConversationStatus.self), inboxId: try query.id("inboxId", as: InboxID.self),
            sla: try query.enumValue("sla", as: SLAFilter.self), order: try query.enumValue("sort", as: ConversationOrder.self) ?? .activity)
        switch query.string("assigneeId") {
        case nil: break
        case "me": filter.assigneeId = .some(agent.id)
        case "none": filter.assigneeId = .some(nil)
        case let raw?:
            guard let id = AgentID(validating: raw) else { throw APIError.validation("assigneeId", .invalid) }
            filter.assigneeId = .some(id)
        }
        return filter
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("conversations") { request, context in
            let filter = try Self.filter(from: request, agent: context.agent)
            let query = QueryReader(request: request)
            var cursor: PageCursor?
            if let token = query.string("cursor"), !token.isEmpty {
                guard let parsed = PageCursor(token: token) else { throw APIError.validation("cursor", .invalid) }
                cursor = parsed
            }
            let limit = PageSize.clamp(try query.int("limit", range: 1...Int64(PageSize.maximum)).map(Int.init))
            let page = try await store.listConversations(filter: filter, after: cursor, limit: limit)
            return JSONResponse(ListResponse(items: page.items, nextCursor: page.nextCursor?.token))
        }

        group.get("conversations/{id}") { _, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            guard let conversation = try await store.conversation(id: id) else { throw APIError.notFound("conversation") }
            return JSONResponse(Detail(conversation: conversation, contact: try await store.contact(id: conversation.contactId)))
        }

        group.patch("conversations/{id}") { request, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            let body = try await request.decodeJSON(ChangeBody.self, limit: limits.small)
            let updated = try await conversations.change(body.change(), of: id, by: context.source)
            return JSONResponse(updated)
        }

        group.get("conversations/{id}/messages") { request, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            let query = QueryReader(request: request)
            let since = try query.int("since") ?? 0
            let limit = Int(try query.int("limit", range: 1...500) ?? 100)
            guard try await store.conversation(id: id) != nil else { throw APIError.notFound("conversation") }
            let messages = try await store.messages(conversationId: id, since: since, limit: limit)
            let next = messages.count == limit ? messages.last.map { String($0.seq) } : nil
            return JSONResponse(ListResponse(items: messages, nextCursor: next))
        }

        group.post("conversations/{id}/messages") { request, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            let body = try await request.decodeJSON(MessageBody.self, limit: limits.json)
            if let ids = body.attachmentIds, ids.count > 10 { throw APIError.validation("attachmentIds", .tooLong(max: 10)) }
            let new = NewMessage(
                direction: body.private == true ? .note : .outgoing, author: .agent(context.agent.id), text: body.text,
                attachmentIds: body.attachmentIds ?? [], clientMessageId: body.clientMessageId)
            let result = try await conversations.send(new, to: id)
            return JSONResponse(result.message, status: result.created ? .created : .ok)
        }
    }
}

extension ConversationController.ChangeBody {
    func change() throws -> ConversationChange {
        var failure = ValidationFailure()
        var normalized: [String]?
        if let labels {
            normalized = []
            for (index, label) in labels.enumerated() {
                if let value = ConversationLabel.normalize(label) { normalized?.append(value) } else { failure.add("labels[\(index)]", .invalid) }
            }
            if labels.count > 20 { failure.add("labels", .tooLong(max: 20)) }
        }
        try failure.throwIfAny()
        return ConversationChange(status: status, priority: priority, assigneeId: assigneeId, teamId: teamId, labels: normalized)
    }
}
