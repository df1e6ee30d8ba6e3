import Foundation
import Hummingbird
import KefuCore
import KefuStore

/// `GET/POST /api/v1/inboxes`: channel instances. Creating one is an admin's job.
struct InboxController {
    let store: any InboxRepository
    let limits: BodyLimits

    struct CreateBody: Decodable {
        let name: String
        let kind: String
    }

    struct ListResponse: Encodable, Sendable {
        let items: [Inbox]
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("inboxes") { _, _ in
            JSONResponse(ListResponse(items: try await store.listInboxes()))
        }
        group.post("inboxes") { request, context in
            try context.require(.admin)
            let body = try await request.decodeJSON(CreateBody.self, limit: limits.small)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            var failure = ValidationFailure()
            if name.isEmpty { failure.add("name", .required) }
            if name.count > 100 { failure.add("name", .tooLong(max: 100)) }
            let kind = InboxKind(rawValue: body.kind)
            if kind == nil { failure.add("kind", .notOneOf(InboxKind.allCases.map(\.rawValue))) }
            try failure.throwIfAny()
            let inbox = try await store.createInbox(
                name: name, kind: kind!, audit: context.audit("inbox.created", subjectKind: "inbox", detail: ["name": name, "kind": body.kind]))
            return JSONResponse(inbox, status: .created)
        }
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
        group.post("teams") { request, context in
            try context.require(.admin)
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
