import Foundation
import KefuCore
import SQLKit

extension SQLStore: AgentRepository {
    static let agentColumns =
        "id, email, name, role, status, password_hash, password_must_change, totp_secret_sealed, totp_enabled, totp_last_step, chat_capacity, locale, avatar_sha256, avatar_type, help_editor, created_at"

    static func agent(from row: any SQLRow) throws -> Agent {
        Agent(
            id: AgentID(rawValue: try row.string("id")), email: try row.string("email"), name: try row.string("name"),
            role: try row.enumValue("role", as: AgentRole.self), status: try row.enumValue("status", as: AgentStatus.self),
            totpEnabled: try row.bool("totp_enabled"), mustChangePassword: try row.bool("password_must_change"),
            chatCapacity: try row.decode(column: "chat_capacity", as: Int.self),
            locale: try row.optionalString("locale"),
            avatarUrl: try row.optionalString("avatar_sha256").map { AgentAvatar.url(agentId: AgentID(rawValue: try row.string("id")), sha256: $0) },
            helpEditor: try row.bool("help_editor"), createdAt: try row.date("created_at"))
    }

    static func credentials(from row: any SQLRow) throws -> AgentCredentials {
        AgentCredentials(
            passwordHash: try row.string("password_hash"), sealedTOTPSecret: try row.optionalString("totp_secret_sealed"),
            lastTOTPStep: try row.decode(column: "totp_last_step", as: Int64?.self))
    }

    public func createAgent(
        email: String, name: String, role: AgentRole, passwordHash: String, mustChangePassword: Bool, audit: AuditEvent?
    ) async throws -> Agent {
        let agent = Agent(
            id: .generate(), email: EmailAddress.normalize(email), name: name, role: role, mustChangePassword: mustChangePassword,
            createdAt: now())
        let at = Clock.millis(agent.createdAt)
        do {
            try await database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO agents (id, email, name, role, status, password_hash, password_must_change, totp_enabled,
                        created_at, updated_at)
                    VALUES (\(bind: agent.id.rawValue), \(bind: agent.email), \(bind: agent.name), \(bind: role.rawValue),
                            'active', \(bind: passwordHash), \(mustChangePassword), \(false), \(bind: at), \(bind: at))
                    """
                ).run()
                if var audit {
                    audit.subjectId = agent.id.rawValue
                    try await insertAudit(audit, on: sql)
                }
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("an agent with this email exists")
        }
        return Self.reread(agent)
    }

    // The row as stored has millisecond precision; return what a read would return.
    private static func reread(_ agent: Agent) -> Agent {
        var copy = agent
        copy.createdAt = Clock.date(Clock.millis(agent.createdAt))
        return copy
    }

    public func agent(id: AgentID) async throws -> Agent? {
        try await credentials(id: id)?.0
    }

    public func credentials(email: String) async throws -> (Agent, AgentCredentials)? {
        let email = EmailAddress.normalize(email)
        return try await database.read { sql in
            guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.agentColumns) FROM agents WHERE email = \(bind: email)").first()
            else { return nil }
            return (try Self.agent(from: row), try Self.credentials(from: row))
        }
    }

    public func credentials(id: AgentID) async throws -> (Agent, AgentCredentials)? {
        try await database.read { sql in
            guard
                let row = try await sql.raw("SELECT \(unsafeRaw: Self.agentColumns) FROM agents WHERE id = \(bind: id.rawValue)").first()
            else { return nil }
            return (try Self.agent(from: row), try Self.credentials(from: row))
        }
    }

    public func listAgents() async throws -> [Agent] {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.agentColumns) FROM agents ORDER BY name, email").all().map(Self.agent(from:))
        }
    }

    public func countAgents() async throws -> Int {
        try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM agents").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    public func updateAgent(
        id: AgentID, status: AgentStatus?, role: AgentRole?, chatCapacity: Int?, audit: AuditEvent?
    ) async throws -> Agent {
        let at = Clock.millis(now())
        return try await database.write { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE agents SET status = COALESCE(\(bind: status?.rawValue), status),
                        role = COALESCE(\(bind: role?.rawValue), role),
                        chat_capacity = COALESCE(\(bind: chatCapacity), chat_capacity), updated_at = \(bind: at)
                    WHERE id = \(bind: id.rawValue) RETURNING \(unsafeRaw: Self.agentColumns)
                    """
                ).first()
            else { throw StoreError.notFound("agent") }
            if status == .disabled {
                try await sql.raw("UPDATE agent_sessions SET revoked_at = \(bind: at) WHERE agent_id = \(bind: id.rawValue) AND revoked_at IS NULL").run()
            }
            if let audit { try await insertAudit(audit, on: sql) }
            return try Self.agent(from: row)
        }
    }

    public func setHelpEditor(id: AgentID, _ enabled: Bool, audit: AuditEvent?) async throws -> Agent {
        try await database.write { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE agents SET help_editor = \(enabled), updated_at = \(bind: Clock.millis(now()))
                    WHERE id = \(bind: id.rawValue) RETURNING \(unsafeRaw: Self.agentColumns)
                    """
                ).first()
            else { throw StoreError.notFound("agent") }
            if let audit { try await insertAudit(audit, on: sql) }
            return try Self.agent(from: row)
        }
    }

    public func setPassword(id: AgentID, passwordHash: String, audit: AuditEvent?) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            let row = try await sql.raw(
                """
                UPDATE agents SET password_hash = \(bind: passwordHash), password_must_change = \(false), updated_at = \(bind: at)
                WHERE id = \(bind: id.rawValue) RETURNING id
                """
            ).first()
            guard row != nil else { throw StoreError.notFound("agent") }
            if let audit { try await insertAudit(audit, on: sql) }
        }
    }

    public func resetPassword(id: AgentID, oneTimePasswordHash: String, audit: AuditEvent?) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            let row = try await sql.raw(
                """
                UPDATE agents SET password_hash = \(bind: oneTimePasswordHash), password_must_change = \(true), updated_at = \(bind: at)
                WHERE id = \(bind: id.rawValue) RETURNING id
                """
            ).first()
            guard row != nil else { throw StoreError.notFound("agent") }
            try await sql.raw("UPDATE agent_sessions SET revoked_at = \(bind: at) WHERE agent_id = \(bind: id.rawValue) AND revoked_at IS NULL").run()
            if let audit { try await insertAudit(audit, on: sql) }
        }
    }

    public func setAvatar(id: AgentID, avatar: AgentAvatar?, audit: AuditEvent?) async throws -> Agent {
        try await database.write { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE agents SET avatar_sha256 = \(bind: avatar?.sha256), avatar_type = \(bind: avatar?.contentType),
                        updated_at = \(bind: Clock.millis(now()))
                    WHERE id = \(bind: id.rawValue) RETURNING \(unsafeRaw: Self.agentColumns)
                    """
                ).first()
            else { throw StoreError.notFound("agent") }
            if let audit { try await insertAudit(audit, on: sql) }
            return try Self.agent(from: row)
        }
    }

    public func avatar(agentId: AgentID) async throws -> AgentAvatar? {
        try await database.read { sql in
            guard
                let row = try await sql.raw("SELECT avatar_sha256, avatar_type FROM agents WHERE id = \(bind: agentId.rawValue)").first(),
                let sha = try row.optionalString("avatar_sha256"), let type = try row.optionalString("avatar_type")
            else { return nil }
            return AgentAvatar(sha256: sha, contentType: type)
        }
    }

    public func setLocale(id: AgentID, locale: String?) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE agents SET locale = \(bind: locale) WHERE id = \(bind: id.rawValue)").run()
        }
    }

    public func setTOTP(id: AgentID, sealedSecret: String?, enabled: Bool, audit: AuditEvent?) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            let row = try await sql.raw(
                """
                UPDATE agents SET totp_secret_sealed = \(bind: sealedSecret), totp_enabled = \(enabled),
                    totp_last_step = NULL, updated_at = \(bind: at)
                WHERE id = \(bind: id.rawValue) RETURNING id
                """
            ).first()
            guard row != nil else { throw StoreError.notFound("agent") }
            if let audit { try await insertAudit(audit, on: sql) }
        }
    }

    public func claimTOTPStep(id: AgentID, step: Int64) async throws -> Bool {
        // One conditional UPDATE: of two parallel logins with the same code, exactly one wins.
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE agents SET totp_last_step = \(bind: step)
                WHERE id = \(bind: id.rawValue) AND (totp_last_step IS NULL OR totp_last_step < \(bind: step))
                RETURNING id
                """
            ).first() != nil
        }
    }
}

extension SQLStore: SessionRepository {
    public func createSession(
        agentId: AgentID, tokenHash: String, kind: String, csrfToken: String?, userAgent: String?,
        clientAddress: String?, expiresAt: Date
    ) async throws -> String {
        let id = UUID().uuidString.lowercased()
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO agent_sessions (id, agent_id, token_hash, kind, csrf_token, user_agent, client_address,
                    created_at, last_seen_at, expires_at)
                VALUES (\(bind: id), \(bind: agentId.rawValue), \(bind: tokenHash), \(bind: kind), \(bind: csrfToken),
                    \(bind: userAgent.map { String($0.prefix(300)) }), \(bind: clientAddress), \(bind: at), \(bind: at),
                    \(bind: Clock.millis(expiresAt)))
                """
            ).run()
        }
        return id
    }

    public func session(tokenHash: String, now date: Date) async throws -> ConsoleSessionRecord? {
        let at = Clock.millis(date)
        let columns = Self.agentColumns.split(separator: ",").map { "a." + $0.trimmingCharacters(in: .whitespaces) }
        let found = try await database.read { sql -> (ConsoleSessionRecord, Int64)? in
            guard
                let row = try await sql.raw(
                    """
                    SELECT s.id AS session_id, s.csrf_token, s.expires_at, s.last_seen_at, \(unsafeRaw: columns.joined(separator: ", "))
                    FROM agent_sessions s JOIN agents a ON a.id = s.agent_id
                    WHERE s.token_hash = \(bind: tokenHash) AND s.revoked_at IS NULL AND s.expires_at > \(bind: at)
                        AND a.status = 'active'
                    """
                ).first()
            else { return nil }
            let record = ConsoleSessionRecord(
                id: try row.string("session_id"), agent: try Self.agent(from: row), csrfToken: try row.optionalString("csrf_token"),
                expiresAt: try row.date("expires_at"))
            return (record, try row.int64("last_seen_at"))
        }
        guard let (record, lastSeen) = found else { return nil }
        // Last-seen is advisory: refresh it at most once a minute so reads stay reads.
        if at - lastSeen > 60_000 {
            try await database.write { sql in
                try await sql.raw("UPDATE agent_sessions SET last_seen_at = \(bind: at) WHERE id = \(bind: record.id)").run()
            }
        }
        return record
    }

    public func revokeSession(tokenHash: String) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw("UPDATE agent_sessions SET revoked_at = \(bind: at) WHERE token_hash = \(bind: tokenHash) AND revoked_at IS NULL").run()
        }
    }

    public func revokeOtherSessions(agentId: AgentID, keeping sessionId: String) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE agent_sessions SET revoked_at = \(bind: at)
                WHERE agent_id = \(bind: agentId.rawValue) AND id <> \(bind: sessionId) AND revoked_at IS NULL
                """
            ).run()
        }
    }

    public func revokeAllSessions(agentId: AgentID) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw("UPDATE agent_sessions SET revoked_at = \(bind: at) WHERE agent_id = \(bind: agentId.rawValue) AND revoked_at IS NULL").run()
        }
    }
}
