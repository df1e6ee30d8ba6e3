import Foundation
import KefuCore

public struct ConsoleSessionRecord: Sendable {
    public var id: String
    public var agent: Agent
    public var csrfToken: String?
    public var expiresAt: Date
}

public protocol AgentRepository: Sendable {
    func createAgent(
        email: String, name: String, role: AgentRole, passwordHash: String, mustChangePassword: Bool, audit: AuditEvent?
    ) async throws -> Agent
    /// Sets or (nil) removes the agent's picture; the bytes live in the blob store.
    func setAvatar(id: AgentID, avatar: AgentAvatar?, audit: AuditEvent?) async throws -> Agent
    func avatar(agentId: AgentID) async throws -> AgentAvatar?
    func agent(id: AgentID) async throws -> Agent?
    /// The agent with its secrets, for the login path only.
    func credentials(email: String) async throws -> (Agent, AgentCredentials)?
    func credentials(id: AgentID) async throws -> (Agent, AgentCredentials)?
    func listAgents() async throws -> [Agent]
    func countAgents() async throws -> Int
    func updateAgent(id: AgentID, status: AgentStatus?, role: AgentRole?, chatCapacity: Int?, audit: AuditEvent?) async throws -> Agent
    /// Gives or takes the right to write help articles.
    func setHelpEditor(id: AgentID, _ enabled: Bool, audit: AuditEvent?) async throws -> Agent
    /// Sets a new password hash and clears "must change password".
    func setPassword(id: AgentID, passwordHash: String, audit: AuditEvent?) async throws
    /// Replaces a forgotten password with a one-time one the agent must change, and ends every
    /// session, in one transaction.
    func resetPassword(id: AgentID, oneTimePasswordHash: String, audit: AuditEvent?) async throws
    /// Revokes every session of the agent except `keeping` (the one that changed the password).
    func revokeOtherSessions(agentId: AgentID, keeping sessionId: String) async throws
    func setLocale(id: AgentID, locale: String?) async throws
    /// Stores a new (not yet confirmed) TOTP secret, or clears it with nil.
    func setTOTP(id: AgentID, sealedSecret: String?, enabled: Bool, audit: AuditEvent?) async throws
    /// Records that the TOTP code of `step` was used; false when that step (or a later one) already was.
    func claimTOTPStep(id: AgentID, step: Int64) async throws -> Bool
}

public protocol SessionRepository: Sendable {
    func createSession(
        agentId: AgentID, tokenHash: String, kind: String, csrfToken: String?, userAgent: String?,
        clientAddress: String?, expiresAt: Date) async throws -> String
    /// The live (unrevoked, unexpired, agent active) session for a token hash; refreshes last-seen.
    func session(tokenHash: String, now: Date) async throws -> ConsoleSessionRecord?
    func revokeSession(tokenHash: String) async throws
    func revokeAllSessions(agentId: AgentID) async throws
}

public protocol TeamRepository: Sendable {
    func createTeam(name: String, audit: AuditEvent?) async throws -> Team
    func team(id: TeamID) async throws -> Team?
    func listTeams() async throws -> [Team]
}
