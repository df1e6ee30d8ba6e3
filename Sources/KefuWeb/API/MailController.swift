import Foundation
import Hummingbird
import KefuCore
import KefuStore
import NIOCore

/// The mail behind conversations: each received mail's original bytes, and the outbox.
struct MailController {
    typealias Repositories = MailRepository & ConversationRepository
    let store: any Repositories
    let blobs: any BlobStore

    struct MailList: Encodable, Sendable { let items: [MailRecord] }
    struct OutboxList: Encodable, Sendable { let items: [OutboxMail] }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("conversations/{id}/mails") { _, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            guard try await store.conversation(id: id) != nil else { throw APIError.notFound("conversation") }
            return JSONResponse(MailList(items: try await store.mails(conversationId: id)))
        }
        group.get("mails/{id}/raw") { _, context in
            let id = try context.parameters.id("id", as: Identifier<MailTag>.self, thing: "mail")
            guard let mail = try await store.mail(id: id.rawValue) else { throw APIError.notFound("mail") }
            return try await raw(mail.rawSha256, name: "mail-\(mail.id).eml", context: context)
        }
        group.get("outbox", role: .admin) { request, context in
            let query = QueryReader(request: request)
            var status: OutboxStatus?
            if let value = query.string("status") {
                guard let known = OutboxStatus(rawValue: value) else {
                    throw APIError.validation("status", .notOneOf(OutboxStatus.allCases.map(\.rawValue)))
                }
                status = known
            }
            let limit = try query.int("limit", range: 1...200) ?? 50
            return JSONResponse(OutboxList(items: try await store.outbox(status: status, limit: Int(limit))))
        }
        group.get("outbox/{id}/raw", role: .admin) { _, context in
            let id = try context.parameters.id("id", as: Identifier<MailTag>.self, thing: "mail")
            guard let mail = try await store.outboxMail(id: id.rawValue) else { throw APIError.notFound("mail") }
            guard mail.isComposed else { throw APIError.mailNotComposed }
            return try await raw(mail.rawSha256, name: "outbox-\(mail.id).eml", context: context)
        }
    }

    /// A mail as a download: never rendered by the browser (nosniff, sandbox, attachment).
    func raw(_ sha256: String, name: String, context: some RequestContext) async throws -> Response {
        try await BlobResponse.stream(
            sha256, from: blobs,
            headers: [
                .contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"\(name)\"",
                .contentSecurityPolicy: "default-src 'none'; sandbox", .cacheControl: "private, no-store",
            ],
            context: context)
    }
}

enum MailTag {}
