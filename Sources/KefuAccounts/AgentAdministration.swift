import Foundation
import KefuCore
import KefuStore

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
            throw AccountError.conflict("agent")
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
public struct AgentStatusChange: Sendable {
    let store: any AgentRepository

    public init(store: any AgentRepository) {
        self.store = store
    }

    /// `by`: the admin making the change (who may not lock themselves out).
    public func apply(
        id: AgentID, status: AgentStatus?, role: AgentRole?, chatCapacity: Int? = nil, by admin: AgentID, source: ActionSource
    ) async throws -> Agent {
        if let chatCapacity, !(0...50).contains(chatCapacity) { throw ValidationFailure("chatCapacity", .invalid) }
        guard let target = try await store.agent(id: id) else { throw AccountError.notFound("agent") }
        let losesAdmin = target.role == .admin && target.status == .active && (status == .disabled || (role != nil && role != .admin))
        if losesAdmin {
            if id == admin { throw AccountError.conflict("self") }
            let admins = try await store.listAgents().filter { $0.role == .admin && $0.status == .active }
            if admins.count <= 1 { throw AccountError.conflict("last_admin") }
        }
        var detail: [String: String] = [:]
        if let status { detail["status"] = status.rawValue }
        if let role { detail["role"] = role.rawValue }
        if let chatCapacity { detail["chatCapacity"] = String(chatCapacity) }
        return try await store.updateAgent(
            id: id, status: status, role: role, chatCapacity: chatCapacity, audit: source.audit("agent.updated", subjectKind: "agent", subjectId: id.rawValue, detail: detail))
    }

    /// Gives or takes the right to write help articles (audited).
    public func setHelpEditor(id: AgentID, _ enabled: Bool, source: ActionSource) async throws -> Agent {
        do {
            return try await store.setHelpEditor(
                id: id, enabled, audit: source.audit("agent.updated", subjectKind: "agent", subjectId: id.rawValue, detail: ["helpEditor": String(enabled)]))
        } catch StoreError.notFound {
            throw AccountError.notFound("agent")
        }
    }
}
