import Foundation
import KefuCore
import SQLKit

extension SQLStore: OfficialChannelRepository {
    static func officialChannel(from row: any SQLRow) throws -> OfficialChannelRecord {
        OfficialChannelRecord(
            id: try row.string("id"), channel: OfficialChannel(kind: try row.enumValue("kind", as: OfficialChannelKind.self), value: try row.string("value")),
            note: try row.string("note"), createdBy: AgentID(rawValue: try row.string("created_by")), createdAt: try row.date("created_at"))
    }

    public func addOfficialChannel(_ channel: OfficialChannel, note: String, by agent: AgentID, audit: AuditEvent?) async throws -> OfficialChannelRecord {
        let id = UUID().uuidString.lowercased()
        let at = Clock.millis(now())
        do {
            return try await database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO official_channels (id, kind, value, note, created_by, created_at)
                    VALUES (\(bind: id), \(bind: channel.kind.rawValue), \(bind: channel.value), \(bind: note), \(bind: agent.rawValue), \(bind: at))
                    """
                ).run()
                if var audit {
                    audit.subjectId = id
                    try await insertAudit(audit, on: sql)
                }
                return OfficialChannelRecord(id: id, channel: channel, note: note, createdBy: agent, createdAt: Clock.date(at))
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("official_channel")
        }
    }

    public func removeOfficialChannel(id: String, audit: AuditEvent?) async throws {
        try await database.write { sql in
            guard try await sql.raw("DELETE FROM official_channels WHERE id = \(bind: id) RETURNING id").first() != nil else {
                throw StoreError.notFound("official_channel")
            }
            if let audit { try await insertAudit(audit, on: sql) }
        }
    }

    public func officialChannels() async throws -> [OfficialChannelRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT id, kind, value, note, created_by, created_at FROM official_channels ORDER BY kind, value").all()
                .map(Self.officialChannel(from:))
        }
    }

    public func recordOfficialChannelCheck(value: String, status: VerificationStatus, resembles: String?) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO official_channel_checks (value, status, resembles, checks, first_at, last_at)
                VALUES (\(bind: value), \(bind: status.rawValue), \(bind: resembles), 1, \(bind: at), \(bind: at))
                ON CONFLICT (value) DO UPDATE SET checks = official_channel_checks.checks + 1, status = excluded.status,
                    resembles = excluded.resembles, last_at = excluded.last_at
                """
            ).run()
        }
    }

    public func officialChannelChecks(status: VerificationStatus?, limit: Int) async throws -> [OfficialChannelCheck] {
        try await database.read { sql in
            let filter: SQLQueryString = status.map { "WHERE status = \(bind: $0.rawValue)" } ?? ""
            return try await sql.raw(
                """
                SELECT value, status, resembles, checks, first_at, last_at FROM official_channel_checks \(filter)
                ORDER BY checks DESC, last_at DESC LIMIT \(bind: limit)
                """
            ).all().map { row in
                OfficialChannelCheck(
                    value: try row.string("value"), status: try row.enumValue("status", as: VerificationStatus.self),
                    resembles: try row.optionalString("resembles"), checks: try row.decode(column: "checks", as: Int.self),
                    firstAt: try row.date("first_at"), lastAt: try row.date("last_at"))
            }
        }
    }
}
