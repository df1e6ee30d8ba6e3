import Foundation
import Hummingbird
import KefuAccounts
import KefuCore
import KefuStore

/// Agent administration: list (supervisors), invite, disable, change role (admins); the
/// security settings; the audit log. Every change is audited in the same transaction.
struct AgentAdminController {
    typealias Repositories = AgentRepository & SessionRepository & SettingsRepository & AuditRepository & CannedReplyRepository
    let store: any Repositories
    let hasher: PasswordHasher
    let limits: BodyLimits

    struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
        let items: [Item]
        let nextCursor: String?
    }

    struct InviteBody: Decodable {
        let email: String
        let name: String
        let role: AgentRole?
    }

    struct InviteResponse: Encodable, Sendable {
        let agent: Agent
        /// Shown once; the agent should change it after the first login.
        let oneTimePassword: String
    }

    struct ChangeBody: Decodable {
        let status: AgentStatus?
        let role: AgentRole?
        let chatCapacity: Int?
        /// May write help articles (supervisors and admins always may).
        let helpEditor: Bool?
    }

    struct PasswordResetResponse: Encodable, Sendable {
        let oneTimePassword: String
    }

    struct SecuritySettings: Codable, Sendable {
        let requireTwoFactor: Bool
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("agents", role: .supervisor) { _, context in
            return JSONResponse(ListResponse(items: try await store.listAgents(), nextCursor: nil))
        }

        group.post("agents", role: .admin) { request, context in
            let body = try await request.decodeJSON(InviteBody.self, limit: limits.small)
            let (agent, password) = try await AgentInvitation(store: store, hasher: hasher).invite(
                email: body.email, name: body.name, role: body.role ?? .agent,
                audit: context.audit("agent.invited", subjectKind: "agent", detail: ["email": EmailAddress.normalize(body.email)]))
            return JSONResponse(InviteResponse(agent: agent, oneTimePassword: password), status: .created)
        }

        group.patch("agents/{id}", role: .admin) { request, context in
            let id = try context.parameters.id("id", as: AgentID.self, thing: "agent")
            let body = try await request.decodeJSON(ChangeBody.self, limit: limits.small)
            let change = AgentStatusChange(store: store)
            var updated: Agent?
            if body.status != nil || body.role != nil || body.chatCapacity != nil {
                updated = try await change.apply(
                    id: id, status: body.status, role: body.role, chatCapacity: body.chatCapacity, by: context.agent.id, source: context.source)
            }
            if let helpEditor = body.helpEditor { updated = try await change.setHelpEditor(id: id, helpEditor, source: context.source) }
            if let updated { return JSONResponse(updated) }
            guard let agent = try await store.agent(id: id) else { throw APIError.notFound("agent") }
            return JSONResponse(agent)
        }

        group.post("agents/{id}/password-reset", role: .admin) { _, context in
            let id = try context.parameters.id("id", as: AgentID.self, thing: "agent")
            // An agent changes their own password with the current one, not by a reset.
            guard id != context.agent.id else { throw APIError.conflict("self") }
            guard let agent = try await store.agent(id: id) else { throw APIError.notFound("agent") }
            let password = try await AgentPasswordReset(store: store, hasher: hasher).reset(
                agent, audit: context.audit("agent.password.reset", subjectKind: "agent", subjectId: id.rawValue))
            return JSONResponse(PasswordResetResponse(oneTimePassword: password))
        }

        group.get("settings/security", role: .admin) { _, context in
            let value = try await store.setting(AgentAuthService.requireTwoFactorSetting) == "true"
            return JSONResponse(SecuritySettings(requireTwoFactor: value))
        }

        group.patch("settings/security", role: .admin) { request, context in
            let body = try await request.decodeJSON(SecuritySettings.self, limit: limits.small)
            try await store.setSetting(
                AgentAuthService.requireTwoFactorSetting, value: body.requireTwoFactor ? "true" : "false",
                audit: context.audit("settings.security", subjectKind: "settings", detail: ["requireTwoFactor": "\(body.requireTwoFactor)"]))
            return JSONResponse(body)
        }

        group.get("audit", role: .admin) { request, context in
            let query = QueryReader(request: request)
            let before = try query.int("before", range: 1...Int64.max)
            let limit = PageSize.clamp(try query.int("limit", range: 1...Int64(PageSize.maximum)).map(Int.init))
            let entries = try await store.auditEntries(before: before, limit: limit)
            let next = entries.count == limit ? entries.last.map { String($0.id) } : nil
            return JSONResponse(ListResponse(items: entries, nextCursor: next))
        }
    }
}
