import Foundation
import Hummingbird
import KefuCore
import KefuStore

/// Saved answers: every agent reads them; supervisors and admins write them.
struct CannedReplyController {
    let store: any CannedReplyRepository
    let limits: BodyLimits

    struct CreateBody: Decodable {
        let shortcut: String
        let body: String
    }

    struct ListResponse: Encodable, Sendable {
        let items: [CannedReply]
    }

    /// Checks and creates one; shared with the console's form (hence its own role check).
    static func create(shortcut rawShortcut: String, body rawBody: String, store: any CannedReplyRepository, context: AuthenticatedContext)
        async throws -> CannedReply
    {
        try context.require(.supervisor)
        let body = rawBody.trimmingCharacters(in: .whitespacesAndNewlines)
        var failure = ValidationFailure()
        let shortcut = CannedReply.normalizeShortcut(rawShortcut)
        if shortcut == nil { failure.add("shortcut", .invalid) }
        if body.isEmpty { failure.add("body", .required) }
        if body.count > CannedReply.maxBodyLength { failure.add("body", .tooLong(max: CannedReply.maxBodyLength)) }
        try failure.throwIfAny()
        do {
            return try await store.createCannedReply(
                shortcut: shortcut!, body: body, createdBy: context.agent.id,
                audit: context.audit("canned_reply.created", subjectKind: "canned_reply", detail: ["shortcut": shortcut!]))
        } catch StoreError.conflict {
            throw APIError.conflict("canned_reply")
        }
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("canned-replies") { _, _ in
            JSONResponse(ListResponse(items: try await store.cannedReplies()))
        }
        group.post("canned-replies", role: .supervisor) { request, context in
            let body = try await request.decodeJSON(CreateBody.self, limit: limits.small)
            return JSONResponse(try await Self.create(shortcut: body.shortcut, body: body.body, store: store, context: context), status: .created)
        }
        group.delete("canned-replies/{id}", role: .supervisor) { _, context in
            let id = try context.parameters.id("id", as: Identifier<CannedReplyTag>.self, thing: "canned_reply")
            try await store.deleteCannedReply(
                id: id.rawValue, audit: context.audit("canned_reply.deleted", subjectKind: "canned_reply", subjectId: id.rawValue))
            return Response(status: .noContent)
        }
    }
}

enum CannedReplyTag {}
