import Foundation
import Hummingbird
import KefuChannels
import KefuCore
import KefuStore

/// `/api/v1/channels/{inboxId}/…`: the API channel, for the wallet's backend with a service
/// token of scope `channel` (`kefu admin token --scope channel`).
struct ChannelAPIController {
    let channel: APIChannel
    let files: AttachmentFiles
    let limits: BodyLimits

    struct ContactBody: Decodable {
        let identifier: String
        let name: String?
        let email: String?
        let accountId: String?
    }

    struct StartBody: Decodable {
        let contact: ContactBody
        let text: String?
        let clientMessageId: String
        let attachmentIds: [AttachmentID]?
    }

    struct MessageBody: Decodable {
        let text: String?
        let clientMessageId: String
        let attachmentIds: [AttachmentID]?
    }

    struct Started: Encodable, Sendable {
        let conversationId: ConversationID
        let message: Message
    }

    struct ConversationView: Encodable, Sendable {
        let id: ConversationID
        let number: Int64
        let status: ConversationStatus
        let lastSeq: Int64
        let createdAt: Date
        let updatedAt: Date
    }

    struct ListResponse: Encodable, Sendable {
        let items: [Message]
        /// Ask with `since` = this next time.
        let nextSince: Int64
    }

    func addRoutes(to group: CatalogedGroup<KefuRequestContext>) {
        group.post("channels/{inbox}/conversations") { request, context in
            let inbox = try Self.inbox(context)
            let body = try await request.decodeJSON(StartBody.self, limit: limits.json)
            let claim = APIChannel.ContactClaim(
                identifier: body.contact.identifier, name: body.contact.name, email: body.contact.email, accountId: body.contact.accountId)
            let received = try await channel.start(
                in: inbox, contact: claim, text: body.text ?? "", clientMessageId: body.clientMessageId, attachmentIds: body.attachmentIds ?? [])
            return JSONResponse(Started(conversationId: received.conversationId, message: received.message), status: received.created ? .created : .ok)
        }
        group.get("channels/{inbox}/conversations/{id}") { _, context in
            let inbox = try Self.inbox(context)
            let conversation = try await channel.conversation(try Self.conversation(context), in: inbox)
            return JSONResponse(
                ConversationView(
                    id: conversation.id, number: conversation.number, status: conversation.status, lastSeq: conversation.lastSeq,
                    createdAt: conversation.createdAt, updatedAt: conversation.updatedAt))
        }
        group.post("channels/{inbox}/conversations/{id}/messages") { request, context in
            let inbox = try Self.inbox(context)
            let id = try Self.conversation(context)
            let body = try await request.decodeJSON(MessageBody.self, limit: limits.json)
            let received = try await channel.append(
                to: id, in: inbox, text: body.text ?? "", clientMessageId: body.clientMessageId, attachmentIds: body.attachmentIds ?? [])
            return JSONResponse(received.message, status: received.created ? .created : .ok)
        }
        group.get("channels/{inbox}/conversations/{id}/messages") { request, context in
            let inbox = try Self.inbox(context)
            let query = QueryReader(request: request)
            let since = try query.int("since") ?? 0
            let limit = Int(try query.int("limit", range: 1...500) ?? 100)
            let page = try await channel.messages(of: try Self.conversation(context), in: inbox, since: since, limit: limit)
            return JSONResponse(ListResponse(items: page.messages, nextSince: page.nextSince))
        }
        // Files for a message to come: the body is the file (an image or PDF, judged by its bytes).
        group.post("channels/{inbox}/attachments") { request, context in
            let inbox = try Self.inbox(context)
            _ = try await channel.inbox(inbox)
            return JSONResponse(try await files.upload(request, by: APIChannel.uploader(inbox)), status: .created)
        }
    }

    /// Only a service token of scope `channel` gets past this; the inbox must be an API inbox,
    /// and the token's own when it is bound to one (another inbox does not exist for it).
    static func inbox(_ context: KefuRequestContext) throws -> InboxID {
        guard let service = context.service else { throw APIError.unauthenticated }
        guard service.scope == "channel" else { throw APIError.forbidden }
        let inbox = try context.parameters.id("inbox", as: InboxID.self, thing: "inbox")
        if let bound = service.inboxId, bound != inbox { throw APIError.notFound("inbox") }
        return inbox
    }

    static func conversation(_ context: KefuRequestContext) throws -> ConversationID {
        try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
    }
}
