import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import KefuAccounts
import KefuChannels
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore
import Logging

/// `POST /api/v1/widget/sessions` and the visitor's WebSocket `GET /api/v1/widget/ws?token=…&since=N`.
struct WidgetController {
    let service: WidgetService
    let presence: any PresenceTracking
    let files: AttachmentFiles
    let limits: BodyLimits
    let verification: WidgetEmailVerification
    let signedIn: WidgetSignedInCustomer
    /// Sockets per visitor session: a few tabs (docs/widget-protocol.md).
    let sockets: SocketQuota
    /// When visitors can expect an answer, from the response targets.
    var expectations: (any ReplyExpectations)? = nil
    /// Satisfaction surveys answered in the chat.
    var surveys: SatisfactionSurveys? = nil
    /// Chat starts per client address (`sessionsPerClient`).
    let throttler: any CredentialThrottle

    /// A session is free to make and each is a contact and rows in the store: 200 chat starts
    /// per client address in 15 minutes (a busy office or carrier NAT stays well under), then
    /// one every few seconds.
    static let sessionsPerClient = ThrottlePolicy(freeAttempts: 200, window: 15 * 60, baseDelay: 1, maxDelay: 10)

    struct SessionBody: Decodable {
        let inboxId: InboxID
        let name: String?
        let email: String?
        let walletUid: String?
        let locale: String?
        let topic: String?
        /// A returning visitor who will verify their email next: the pre-chat form is not asked.
        let returning: Bool?
    }

    struct EmailBody: Decodable {
        let email: String
        let code: String?
    }

    struct IdentityBody: Decodable { let identityToken: String }

    struct VerifiedResponse: Encodable, Sendable {
        let contactId: ContactID
    }

    let resources: ConsoleResources

    /// The widget's own page may be framed by any site (that is the point of a widget); it still
    /// runs no inline script or style.
    static let framePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors *; form-action 'self'; base-uri 'none'; object-src 'none'"

    struct SessionStatus: Encodable, Sendable {
        let contactId: ContactID
        let expiresAt: Date
    }

    struct SessionResponse: Encodable, Sendable {
        let sessionToken: String
        let contactId: ContactID
        let expiresAt: Date
    }

    /// `GET /widget.js` (the loader host pages embed) and `GET /widget/frame` (the chat itself).
    func addPageRoutes(to router: Router<KefuRequestContext>) {
        router.get("/widget.js") { _, _ in
            var response = try resources.staticResponse("widget.js")
            response.headers[.accessControlAllowOrigin] = "*"
            return response
        }
        router.get("/widget/frame") { request, _ in
            let query = QueryReader(request: request)
            guard let inboxId = (try? query.id("inbox", as: InboxID.self)) ?? nil,
                let inbox = try await service.store.inbox(id: inboxId), inbox.kind == .webchat
            else { throw APIError.notFound("inbox") }
            let locale =
                query.string("lang").flatMap(UILocale.init(tag:))
                ?? UILocale.negotiate(acceptLanguage: request.headers[.acceptLanguage])
            let strings = (resources.translations[locale] ?? [:]).filter { $0.key.hasPrefix("widget_") }
            var values: [String: Any] = [
                "lang": locale.rawValue, "t": resources.translations[locale] ?? [:], "inbox_id": inbox.id.rawValue,
                "strings_json": String(decoding: try JSONEncoder.api.encode(strings), as: UTF8.self),
            ]
            values["form"] = Self.formValues(inbox.prechatForm ?? .standard, locale: locale)
            let texts = resources.translations[locale] ?? [:]
            values["places"] = ImpersonationReport.Place.allCases.map { ["value": $0.rawValue, "label": texts["help_report_place_\($0.rawValue)"] ?? $0.rawValue] }
            var response = try resources.render("widget-frame", values)
            response.headers[.contentSecurityPolicy] = Self.framePolicy
            return response
        }
    }

    /// The pre-chat form as the frame template draws it: which fields, which required, the
    /// topics in the visitor's language.
    static func formValues(_ form: PrechatForm, locale: UILocale) -> [String: Any] {
        func field(_ ask: PrechatForm.Ask) -> Any {
            ask == .hidden ? false : ["required": ask == .required, "optional": ask == .optional] as [String: Any]
        }
        return [
            "name": field(form.name), "email": field(form.email), "walletUid": field(form.walletUid), "topic": field(form.topic),
            "topics": form.topics.map { ["key": $0.key, "label": $0.label[locale]] },
            "asks_nothing": form.asksNothing,
        ]
    }

    /// What a widget or an in-app chat needs to know before a session: the inbox's form.
    struct InboxFormResponse: Encodable, Sendable {
        let id: InboxID
        let name: String
        let prechatForm: PrechatForm
    }

    func addRoutes(to api: RouterGroup<KefuRequestContext>, catalog: CatalogedGroup<KefuRequestContext>) {
        catalog.get("widget/inboxes/{id}") { _, context in
            let id = try context.parameters.id("id", as: InboxID.self, thing: "inbox")
            guard let inbox = try await service.store.inbox(id: id), inbox.kind == .webchat else { throw APIError.notFound("inbox") }
            return JSONResponse(InboxFormResponse(id: inbox.id, name: inbox.name, prechatForm: inbox.prechatForm ?? .standard))
        }
        catalog.post("widget/sessions") { request, context in
            let body = try await request.decodeJSON(SessionBody.self, limit: limits.small)
            _ = try await throttler.admit([("widget-session-client:\(ClientNetwork.key(context.peerAddress))", Self.sessionsPerClient)])
            let (token, session) = try await service.startSession(
                inboxId: body.inboxId,
                answers: PrechatForm.Answers(name: body.name, email: body.email, walletUid: body.walletUid, topic: body.topic),
                locale: body.locale, returning: body.returning ?? false, userAgent: request.headers[.userAgent], address: context.peerAddress)
            return JSONResponse(
                SessionResponse(sessionToken: token, contactId: session.contactId, expiresAt: session.expiresAt), status: .created)
        }

        // Lets a widget tell "my session ended" (start over) from "the server is away" (retry).
        catalog.get("widget/session") { request, _ in
            let session = try await service.visitor(request)
            return JSONResponse(SessionStatus(contactId: session.contactId, expiresAt: session.expiresAt))
        }
        catalog.post("widget/email-verification") { request, context in
            let session = try await service.visitor(request)
            let body = try await request.decodeJSON(EmailBody.self, limit: limits.small)
            try await verification.sendCode(to: body.email, session: session, address: context.peerAddress, now: Date())
            return JSONResponse(["sent": true], status: .accepted)
        }
        catalog.post("widget/email-verification/confirm") { request, _ in
            let session = try await service.visitor(request)
            let body = try await request.decodeJSON(EmailBody.self, limit: limits.small)
            let contact = try await verification.confirm(email: body.email, code: body.code ?? "", session: session)
            return JSONResponse(VerifiedResponse(contactId: contact))
        }
        // The wallet's page vouches for a signed-in customer (see WidgetIdentity); with a session
        // token the chat also joins their history.
        catalog.post("widget/identity") { request, _ in
            let body = try await request.decodeJSON(IdentityBody.self, limit: limits.small)
            let session = request.uri.queryParameters.get("token") == nil ? nil : try await service.visitor(request)
            return JSONResponse(try await signedIn.identify(token: body.identityToken, session: session))
        }
        catalog.post("widget/attachments") { request, _ in
            let session = try await service.visitor(request)
            return JSONResponse(try await files.upload(request, by: .contact(session.contactId)), status: .created)
        }
        catalog.get("widget/attachments/{id}") { request, context in
            let session = try await service.visitor(request)
            let id = try context.parameters.id("id", as: AttachmentID.self, thing: "attachment")
            guard let attachment = try await files.store.attachment(id: id, visibleTo: session.contactId) else {
                throw APIError.notFound("attachment")
            }
            return try await files.download(attachment, context: context)
        }

        // Not in openapi.yaml (OpenAPI cannot describe a WebSocket); docs/widget-protocol.md does.
        api.ws("widget/ws") { request, context in
            guard let token = request.uri.queryParameters.get("token"), let session = try await service.session(token: token) else {
                throw APIError.unauthenticated
            }
            try sockets.checkHandshake(session.id)
            _ = try Self.since(request)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            // The session is read in a task that ends with the read: this closure's task lives as
            // long as the socket and would keep the memory the read needed (SocketPump).
            let request = context.request, logger = context.logger
            guard let socket = try await SocketPump.prepared({ try await socket(for: request, logger: logger) }) else { return }
            // Ends on shutdown (the widget reconnects to the next instance).
            try await sockets.serve(socket.session.id, closing: outbound) { try await socket.run(inbound: inbound, outbound: outbound) }
        }
    }

    /// The socket for an upgraded request whose session still exists.
    private func socket(for request: Request, logger: Logger) async throws -> WidgetSocket? {
        guard let token = request.uri.queryParameters.get("token"), let session = try await service.session(token: token) else { return nil }
        return WidgetSocket(
            service: service, presence: presence, session: session, since: try Self.since(request),
            sinceConversation: try QueryReader(request: request).id("conversationId", as: ConversationID.self), expectations: expectations,
            surveys: surveys, logger: logger)
    }


    static func since(_ request: Request) throws -> Int64 {
        try QueryReader(request: request).int("since") ?? 0
    }
}

extension WidgetService {
    /// The visitor behind a request's `?token=` (images in the widget cannot send headers), or
    /// `unauthenticated`.
    func visitor(_ request: Request) async throws -> WidgetSession {
        guard let token = request.uri.queryParameters.get("token"), let session = try await session(token: token) else {
            throw APIError.unauthenticated
        }
        return session
    }
}
