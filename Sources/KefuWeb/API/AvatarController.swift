import Foundation
import HTTPTypes
import Hummingbird
import KefuCore
import KefuStore
import NIOCore

/// Agents' pictures: `PUT/DELETE /api/v1/me/avatar` (the body is the image) and the public
/// `GET /avatars/{agentId}` the widget and console show. Only images recognised by their bytes
/// are kept; they are served with their sniffed type and a sandboxing CSP, like attachments.
struct AvatarController {
    let store: any AgentRepository
    let blobs: any BlobStore

    static let allowedTypes = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.put("me/avatar") { request, context in
            JSONResponse(try await replace(request, agent: context.agent, context: context))
        }
        group.delete("me/avatar") { _, context in
            JSONResponse(
                try await store.setAvatar(
                    id: context.agent.id, avatar: nil, audit: context.audit("agent.avatar.removed", subjectKind: "agent", subjectId: context.agent.id.rawValue)))
        }
    }

    func replace(_ request: Request, agent: Agent, context: AuthenticatedContext) async throws -> Agent {
        let data = try await AttachmentFiles.readFile(request, limit: AgentAvatar.maxBytes)
        guard let type = AgentAvatar.sniff(data) else { throw APIError.validation("file", .notOneOf(Self.allowedTypes)) }
        let digest = try await blobs.put(data)
        return try await store.setAvatar(
            id: agent.id, avatar: AgentAvatar(sha256: digest, contentType: type),
            audit: context.audit("agent.avatar.changed", subjectKind: "agent", subjectId: agent.id.rawValue))
    }

    func addPublicRoutes(to router: Router<KefuRequestContext>) {
        router.get("/avatars/{id}") { request, context -> Response in
            let id = try context.parameters.id("id", as: AgentID.self, thing: "avatar")
            guard let avatar = try await store.avatar(agentId: id) else { throw APIError.notFound("avatar") }
            // A versioned address (?v=hash) never changes content; a bare one may.
            let versioned = request.uri.queryParameters.get("v").map { avatar.sha256.hasPrefix($0) && !$0.isEmpty } ?? false
            return try await BlobResponse.stream(
                avatar.sha256, from: blobs,
                headers: [
                    .contentType: avatar.contentType,
                    .contentSecurityPolicy: "default-src 'none'; sandbox",
                    .cacheControl: versioned ? "public, max-age=31536000, immutable" : "public, max-age=300",
                ],
                context: context)
        }
    }
}
