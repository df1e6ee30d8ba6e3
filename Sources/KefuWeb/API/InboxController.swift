import Foundation
import Hummingbird
import KefuChannels
import KefuCore
import KefuStore

/// `GET/POST /api/v1/inboxes`, `GET/PATCH /api/v1/inboxes/{id}`: channel instances. Creating
/// and changing one is an admin's job.
struct InboxController {
    let store: any InboxRepository & SatisfactionRepository
    let telegram: TelegramBots
    let apiChannel: APIChannel
    let limits: BodyLimits

    struct CreateBody: Decodable {
        let name: String
        let kind: String
        /// Telegram inboxes: the token @BotFather gave (checked with `getMe`, then sealed).
        let botToken: String?
        /// API inboxes: where agents' replies, status changes and typing are posted (signed).
        let callbackUrl: String?
    }

    /// A new inbox; for an API inbox with a callback, the callback's signing secret (once).
    struct Created: Encodable, Sendable {
        let inbox: Inbox
        let callbackSecret: String?

        enum Keys: String, CodingKey { case callbackSecret }

        func encode(to encoder: any Encoder) throws {
            try inbox.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encodeIfPresent(callbackSecret, forKey: .callbackSecret)
        }
    }

    struct UpdateBody: Decodable {
        let name: String?
        let prechatForm: PrechatForm?
        /// Telegram inboxes: the official channels announcements are posted to.
        let announceChats: [String]?
        /// Whether resolved conversations get a satisfaction survey.
        let csatEnabled: Bool?
    }

    struct ListResponse: Encodable, Sendable {
        let items: [Inbox]
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("inboxes") { _, _ in
            JSONResponse(ListResponse(items: try await store.listInboxes()))
        }
        group.get("inboxes/{id}") { _, context in
            let id = try context.parameters.id("id", as: InboxID.self, thing: "inbox")
            guard let inbox = try await store.inbox(id: id) else { throw APIError.notFound("inbox") }
            return JSONResponse(inbox)
        }
        group.patch("inboxes/{id}", role: .admin) { request, context in
            let id = try context.parameters.id("id", as: InboxID.self, thing: "inbox")
            let body = try await request.decodeJSON(UpdateBody.self, limit: limits.small)
            // Every part is checked before any is written: a refused request changes nothing.
            if let chats = body.announceChats {
                guard let inbox = try await store.inbox(id: id) else { throw APIError.notFound("inbox") }
                guard inbox.kind == .telegram else { throw APIError.conflict("inbox") }
                var failure = ValidationFailure()
                if chats.count > 10 { failure.add("announceChats", .tooLong(max: 10)) }
                for (index, chat) in chats.enumerated() where !Announcements.isValidTarget(chat) { failure.add("announceChats[\(index)]", .invalid) }
                if !failure.isEmpty { throw APIError.validation(failure) }
            }
            if body.name != nil || body.prechatForm != nil {
                _ = try await update(id, name: body.name, prechatForm: body.prechatForm, context: context)
            }
            if let chats = body.announceChats { try await telegram.setAnnounceChats(chats, of: id, source: context.source) }
            if let enabled = body.csatEnabled {
                _ = try await store.setSurveys(
                    inboxId: id, enabled: enabled,
                    audit: context.source.audit("inbox.csat_changed", subjectKind: "inbox", subjectId: id.rawValue, detail: ["enabled": String(enabled)]))
            }
            guard let current = try await store.inbox(id: id) else { throw APIError.notFound("inbox") }
            return JSONResponse(current)
        }
        group.post("inboxes", role: .admin) { request, context in
            let body = try await request.decodeJSON(CreateBody.self, limit: limits.small)
            let made = try await create(name: body.name, kind: body.kind, botToken: body.botToken, callbackUrl: body.callbackUrl, context: context)
            return JSONResponse(Created(inbox: made.inbox, callbackSecret: made.callbackSecret), status: .created)
        }
    }

    /// Validates and creates an inbox (the API and the console both use it). A Telegram inbox
    /// needs a token Telegram confirms; the token is never echoed or logged.
    func create(
        name rawName: String, kind rawKind: String, botToken: String?, callbackUrl: String? = nil, context: AuthenticatedContext
    ) async throws -> (inbox: Inbox, callbackSecret: String?) {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        var failure = ValidationFailure()
        if name.isEmpty { failure.add("name", .required) }
        if name.count > 100 { failure.add("name", .tooLong(max: 100)) }
        let kind = InboxKind(rawValue: rawKind)
        if kind == nil { failure.add("kind", .notOneOf(InboxKind.allCases.map(\.rawValue))) }
        if kind == .telegram && (botToken ?? "").trimmingCharacters(in: .whitespaces).isEmpty { failure.add("botToken", .required) }
        if kind == .telegram, let botToken, !botToken.isEmpty, !TelegramBots.isWellFormed(botToken.trimmingCharacters(in: .whitespacesAndNewlines)) {
            failure.add("botToken", .invalid)
        }
        if callbackUrl != nil && kind != .api { failure.add("callbackUrl", .rule("api_inboxes_only")) }
        if !failure.isEmpty { throw APIError.validation(failure) }
        if kind == .telegram, let botToken {
            return (try await telegram.create(name: name, token: botToken, source: context.source), nil)
        }
        if kind == .api {
            let made = try await apiChannel.createInbox(name: name, callbackUrl: callbackUrl, source: context.source)
            return (made.inbox, made.secret)
        }
        let inbox = try await store.createInbox(
            name: name, kind: kind!, audit: context.audit("inbox.created", subjectKind: "inbox", detail: ["name": name, "kind": rawKind]))
        return (inbox, nil)
    }

    /// Validates and applies an admin's change to an inbox (the API and the console both use it).
    func update(_ id: InboxID, name rawName: String?, prechatForm: PrechatForm?, context: AuthenticatedContext) async throws -> Inbox {
        guard let inbox = try await store.inbox(id: id) else { throw APIError.notFound("inbox") }
        let name = rawName?.trimmingCharacters(in: .whitespacesAndNewlines)
        // Only live chat asks a pre-chat form: on another kind of inbox the change conflicts
        // with what the inbox is (409), whatever the form says.
        if prechatForm != nil && inbox.kind != .webchat { throw APIError.conflict("inbox") }
        var failure = ValidationFailure()
        if let name, name.isEmpty { failure.add("name", .required) }
        if let name, name.count > 100 { failure.add("name", .tooLong(max: 100)) }
        if let prechatForm {
            for (field, problem) in prechatForm.problems().fields { failure.add("prechatForm.\(field)", problem) }
        }
        // As an APIError, so the console can show the problems on its form.
        if !failure.isEmpty { throw APIError.validation(failure) }
        var detail: [String: String] = [:]
        if let name { detail["name"] = name }
        // The whole new form, so the audit log shows what each change asked of visitors.
        if let prechatForm { detail["prechatForm"] = String(decoding: try JSONEncoder.api.encode(prechatForm.normalized()), as: UTF8.self) }
        return try await store.updateInbox(
            id: id, name: name, prechatForm: prechatForm?.normalized(),
            audit: context.audit("inbox.updated", subjectKind: "inbox", subjectId: id.rawValue, detail: detail))
    }
}

/// `GET/POST /api/v1/teams`: groups of agents that conversations can be routed to.
struct TeamController {
    let store: any TeamRepository
    let limits: BodyLimits

    struct CreateBody: Decodable {
        let name: String
    }

    struct ListResponse: Encodable, Sendable {
        let items: [Team]
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("teams") { _, _ in
            JSONResponse(ListResponse(items: try await store.listTeams()))
        }
        group.post("teams", role: .admin) { request, context in
            let body = try await request.decodeJSON(CreateBody.self, limit: limits.small)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            if name.isEmpty { throw APIError.validation("name", .required) }
            if name.count > 100 { throw APIError.validation("name", .tooLong(max: 100)) }
            do {
                let team = try await store.createTeam(
                    name: name, audit: context.audit("team.created", subjectKind: "team", detail: ["name": name]))
                return JSONResponse(team, status: .created)
            } catch StoreError.conflict {
                throw APIError.conflict("team")
            }
        }
    }
}
