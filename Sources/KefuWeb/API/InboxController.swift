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
