import Foundation
import Hummingbird
import KefuChannels
import KefuCore
import KefuLocalization

/// `/api/v1/announcements…`: the published list for anyone (the widget, the help center), and
/// supervisors' writing, publishing and withdrawing.
struct AnnouncementController {
    let announcements: Announcements
    let limits: BodyLimits

    struct TextBody: Decodable {
        let titleEn: String
        let titleZh: String
        let bodyEn: String
        let bodyZh: String

        var text: AnnouncementText { AnnouncementText(titleEn: titleEn, titleZh: titleZh, bodyEn: bodyEn, bodyZh: bodyZh) }
    }

    /// What the widget shows: one language, Markdown body.
    struct PublicView: Encodable, Sendable {
        let id: String
        let locale: String
        let title: String
        let body: String
        let publishedAt: Date?
        let updatedAt: Date
    }

    struct View: Encodable, Sendable {
        let id: String
        let status: AnnouncementStatus
        let titleEn: String
        let titleZh: String
        let bodyEn: String
        let bodyZh: String
        let version: Int
        let publishedAt: Date?
        let createdBy: AgentID
        let createdAt: Date
        let updatedAt: Date
        let history: [Version]?

        struct Version: Encodable, Sendable {
            let version: Int
            let action: AnnouncementAction
            let titleEn: String
            let titleZh: String
            let agentId: AgentID
            let createdAt: Date
        }

        init(_ announcement: Announcement, history: [AnnouncementVersion]? = nil) {
            id = announcement.id
            status = announcement.status
            titleEn = announcement.text.titleEn
            titleZh = announcement.text.titleZh
            bodyEn = announcement.text.bodyEn
            bodyZh = announcement.text.bodyZh
            version = announcement.version
            publishedAt = announcement.publishedAt
            createdBy = announcement.createdBy
            createdAt = announcement.createdAt
            updatedAt = announcement.updatedAt
            self.history = history?.map {
                Version(version: $0.version, action: $0.action, titleEn: $0.text.titleEn, titleZh: $0.text.titleZh, agentId: $0.agentId, createdAt: $0.createdAt)
            }
        }
    }

    struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
        let items: [Item]
    }

    func addPublicRoutes(to group: CatalogedGroup<KefuRequestContext>) {
        group.get("announcements") { request, _ in
            let query = QueryReader(request: request)
            let locale: UILocale
            if let asked = query.string("locale") {
                guard let chosen = UILocale(rawValue: asked) else { throw APIError.validation("locale", .notOneOf(UILocale.allCases.map(\.rawValue))) }
                locale = chosen
            } else {
                locale = UILocale.negotiate(acceptLanguage: request.headers[.acceptLanguage])
            }
            let items = try await announcements.published().map { item in
                PublicView(
                    id: item.id, locale: locale.rawValue, title: item.text.title(locale.rawValue), body: item.text.body(locale.rawValue),
                    publishedAt: item.publishedAt, updatedAt: item.updatedAt)
            }
            return JSONResponse(ListResponse(items: items))
        }
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.post("announcements", role: .supervisor) { request, context in
            let body = try await request.decodeJSON(TextBody.self, limit: limits.json)
            return JSONResponse(View(try await announcements.create(body.text, source: context.source, agent: context.agent.id)), status: .created)
        }
        group.get("announcements/{id}", role: .supervisor) { _, context in
            let (found, history) = try await announcements.announcement(try Self.id(context))
            return JSONResponse(View(found, history: history))
        }
        group.patch("announcements/{id}", role: .supervisor) { request, context in
            let body = try await request.decodeJSON(TextBody.self, limit: limits.json)
            return JSONResponse(View(try await announcements.edit(try Self.id(context), text: body.text, source: context.source, agent: context.agent.id)))
        }
        group.post("announcements/{id}/publish", role: .supervisor) { _, context in
            JSONResponse(View(try await announcements.publish(try Self.id(context), source: context.source, agent: context.agent.id)))
        }
        group.post("announcements/{id}/unpublish", role: .supervisor) { _, context in
            JSONResponse(View(try await announcements.unpublish(try Self.id(context), source: context.source, agent: context.agent.id)))
        }
    }

    static func id(_ context: some RequestContext) throws -> String {
        guard let id = context.parameters.get("id"), UUID(uuidString: id) != nil else { throw APIError.notFound("announcement") }
        return id.lowercased()
    }
}
