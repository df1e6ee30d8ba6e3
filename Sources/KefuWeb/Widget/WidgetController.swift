import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import KefuCore
import KefuRealtime
import KefuStore

/// `POST /api/v1/widget/sessions` and the visitor's WebSocket `GET /api/v1/widget/ws?token=…&since=N`.
struct WidgetController {
    let service: WidgetService
    let hub: EventHub
    let limits: BodyLimits

    struct SessionBody: Decodable {
        let inboxId: InboxID
        let name: String?
        let email: String?
        let locale: String?
    }

    struct SessionResponse: Encodable, Sendable {
        let sessionToken: String
        let contactId: ContactID
        let expiresAt: Date
    }

    func addRoutes(to api: RouterGroup<KefuRequestContext>, catalog: CatalogedGroup<KefuRequestContext>) {
        catalog.post("widget/sessions") { request, context in
            let body = try await request.decodeJSON(SessionBody.self, limit: limits.small)
            let (token, session) = try await service.startSession(
                inboxId: body.inboxId, name: body.name, email: body.email, locale: body.locale,
                userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(
                SessionResponse(sessionToken: token, contactId: session.contactId, expiresAt: session.expiresAt), status: .created)
        }

        // Not in openapi.yaml (OpenAPI cannot describe a WebSocket); docs/widget-protocol.md does.
        api.ws("widget/ws") { request, context in
            guard let token = request.uri.queryParameters.get("token"), try await service.session(token: token) != nil else {
                throw APIError.unauthenticated
            }
            _ = try Self.since(request)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let token = context.request.uri.queryParameters.get("token"),
                let session = try await service.session(token: token)
            else { return }
            let socket = WidgetSocket(
                service: service, hub: hub, session: session, since: try Self.since(context.request), logger: context.logger)
            try await socket.run(inbound: inbound, outbound: outbound)
        }
    }

    static func since(_ request: Request) throws -> Int64 {
        try QueryReader(request: request).int("since") ?? 0
    }
}
