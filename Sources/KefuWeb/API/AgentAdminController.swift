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
            guard body.status != nil || body.role != nil || body.chatCapacity != nil else {
                guard let agent = try await store.agent(id: id) else { throw APIError.notFound("agent") }
                return JSONResponse(agent)
            }
            let updated = try await AgentStatusChange(store: store).apply(
                id: id, status: body.status, role: body.role, chatCapacity: body.chatCapacity, by: context)
            return JSONResponse(updated)
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

/// Creating an agent account with a printed one-time password; used by the API, the console
/// and `kefu admin create`.
public struct AgentInvitation: Sendable {
    let store: any AgentRepository
    let hasher: PasswordHasher

    public init(store: any AgentRepository, hasher: PasswordHasher) {
        self.store = store
        self.hasher = hasher
    }

    /// Creates the agent; with no password given, generates a one-time one and returns it.
    public func invite(
        email: String, name: String, role: AgentRole, password: String? = nil, audit: AuditEvent?
    ) async throws -> (Agent, String) {
        let trimmedName = name.trimmingCharacters(in: .whitespacesAndNewlines)
        var failure = ValidationFailure()
        if !EmailAddress.isPlausible(email) { failure.add("email", .invalid) }
        if trimmedName.isEmpty { failure.add("name", .required) }
        if trimmedName.count > 100 { failure.add("name", .tooLong(max: 100)) }
        let chosen = password ?? RandomToken.oneTimePassword()
        if password != nil, !AgentPasswordPolicy().violations(password: chosen, email: email).isEmpty {
            failure.add("password", .tooShort(min: AgentPasswordPolicy().minimumLength))
        }
        try failure.throwIfAny()
        do {
            let agent = try await store.createAgent(
                email: email, name: trimmedName, role: role, passwordHash: try await hasher.hash(chosen),
                mustChangePassword: password == nil, audit: audit)
            return (agent, chosen)
        } catch StoreError.conflict {
            throw APIError.conflict("agent")
        }
    }
}

/// An admin's answer to "I forgot my password": a new one-time password, shown once, which the
/// agent must replace at the next sign-in; every session of the agent ends.
public struct AgentPasswordReset: Sendable {
    let store: any AgentRepository
    let hasher: PasswordHasher

    public init(store: any AgentRepository, hasher: PasswordHasher) {
        self.store = store
        self.hasher = hasher
    }

    public func reset(_ agent: Agent, audit: AuditEvent?) async throws -> String {
        let password = RandomToken.oneTimePassword()
        try await store.resetPassword(id: agent.id, oneTimePasswordHash: try await hasher.hash(password), audit: audit)
        return password
    }
}

/// Disabling or re-roling an agent, with the rule that keeps the installation manageable:
/// there is always at least one active admin, and admins cannot lock themselves out.
struct AgentStatusChange {
    let store: any AgentRepository

    func apply(
        id: AgentID, status: AgentStatus?, role: AgentRole?, chatCapacity: Int? = nil, by context: AuthenticatedContext
    ) async throws -> Agent {
        if let chatCapacity, !(0...50).contains(chatCapacity) { throw APIError.validation("chatCapacity", .invalid) }
        guard let target = try await store.agent(id: id) else { throw APIError.notFound("agent") }
        let losesAdmin = target.role == .admin && target.status == .active && (status == .disabled || (role != nil && role != .admin))
        if losesAdmin {
            if id == context.agent.id { throw APIError.conflict("self") }
            let admins = try await store.listAgents().filter { $0.role == .admin && $0.status == .active }
            if admins.count <= 1 { throw APIError.conflict("last_admin") }
        }
        var detail: [String: String] = [:]
        if let status { detail["status"] = status.rawValue }
        if let role { detail["role"] = role.rawValue }
        if let chatCapacity { detail["chatCapacity"] = String(chatCapacity) }
        return try await store.updateAgent(
            id: id, status: status, role: role, chatCapacity: chatCapacity, audit: context.audit("agent.updated", subjectKind: "agent", subjectId: id.rawValue, detail: detail))
    }
}
