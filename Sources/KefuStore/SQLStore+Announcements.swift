import Foundation
import KefuCore
import SQLKit

extension SQLStore: AnnouncementRepository {
    static let announcementColumns = "id, status, title_en, title_zh, body_en, body_zh, version, published_at, created_by, created_at, updated_at"

    static func announcement(from row: any SQLRow) throws -> Announcement {
        Announcement(
            id: try row.string("id"), status: try row.enumValue("status", as: AnnouncementStatus.self), text: try announcementText(from: row),
            version: try row.decode(column: "version", as: Int.self), publishedAt: try row.decode(column: "published_at", as: Int64?.self).map(Clock.date),
            createdBy: AgentID(rawValue: try row.string("created_by")), createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }

    static func announcementText(from row: any SQLRow) throws -> AnnouncementText {
        AnnouncementText(
            titleEn: try row.string("title_en"), titleZh: try row.string("title_zh"), bodyEn: try row.string("body_en"), bodyZh: try row.string("body_zh"))
    }

    static func insertVersion(
        _ id: String, version: Int, action: AnnouncementAction, text: AnnouncementText, agent: AgentID, at: Int64, on sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO announcement_versions (announcement_id, version, action, title_en, title_zh, body_en, body_zh, agent_id, created_at)
            VALUES (\(bind: id), \(bind: version), \(bind: action.rawValue), \(bind: text.titleEn), \(bind: text.titleZh), \(bind: text.bodyEn),
                \(bind: text.bodyZh), \(bind: agent.rawValue), \(bind: at))
            """
        ).run()
    }

    public func createAnnouncement(_ text: AnnouncementText, by agent: AgentID, audit: AuditEvent?) async throws -> Announcement {
        let id = UUID().uuidString.lowercased()
        let at = Clock.millis(now())
        return try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO announcements (id, status, title_en, title_zh, body_en, body_zh, version, created_by, created_at, updated_at)
                VALUES (\(bind: id), 'draft', \(bind: text.titleEn), \(bind: text.titleZh), \(bind: text.bodyEn), \(bind: text.bodyZh), 1,
                    \(bind: agent.rawValue), \(bind: at), \(bind: at))
                """
            ).run()
            try await Self.insertVersion(id, version: 1, action: .created, text: text, agent: agent, at: at, on: sql)
            if var audit {
                audit.subjectId = id
                try await insertAudit(audit, on: sql)
            }
            guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.announcementColumns) FROM announcements WHERE id = \(bind: id)").first()
            else { throw StoreError.notFound("announcement") }
            return try Self.announcement(from: row)
        }
    }

    public func announcement(id: String) async throws -> Announcement? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.announcementColumns) FROM announcements WHERE id = \(bind: id)").first()
                .map(Self.announcement(from:))
        }
    }

    public func announcements(status: AnnouncementStatus?, limit: Int) async throws -> [Announcement] {
        try await database.read { sql in
            let filter: SQLQueryString = status.map { "WHERE status = \(bind: $0.rawValue)" } ?? ""
            return try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.announcementColumns) FROM announcements \(filter)
                ORDER BY COALESCE(published_at, created_at) DESC, id DESC LIMIT \(bind: limit)
                """
            ).all().map(Self.announcement(from:))
        }
    }

    public func reviseAnnouncement(
        id: String, text: AnnouncementText?, status: AnnouncementStatus?, expectedVersion: Int?, by agent: AgentID, audit: AuditEvent?,
        deliveries: [NewChannelDelivery]
    ) async throws -> Announcement {
        let at = Clock.millis(now())
        let flavor = self.flavor
        return try await database.write { sql in
            let lock = flavor == .postgres ? " FOR UPDATE" : ""
            guard
                let row = try await sql.raw("SELECT \(unsafeRaw: Self.announcementColumns) FROM announcements WHERE id = \(bind: id)\(unsafeRaw: lock)")
                    .first()
            else { throw StoreError.notFound("announcement") }
            let current = try Self.announcement(from: row)
            if let expectedVersion, current.version != expectedVersion { throw StoreError.conflict("announcement") }
            let newText = text ?? current.text
            let newStatus = status ?? current.status
            let action: AnnouncementAction =
                switch status {
                case .published?: .published
                case .unpublished?: .unpublished
                default: .edited
                }
            let version = current.version + 1
            let publishedAt: Int64? = status == .published ? at : current.publishedAt.map(Clock.millis)
            // The version in the WHERE makes the check hold on SQLite too (no row lock there).
            guard
                try await sql.raw(
                    """
                    UPDATE announcements SET status = \(bind: newStatus.rawValue), title_en = \(bind: newText.titleEn), title_zh = \(bind: newText.titleZh),
                    body_en = \(bind: newText.bodyEn), body_zh = \(bind: newText.bodyZh), version = \(bind: version),
                    published_at = \(bind: publishedAt), updated_at = \(bind: at)
                    WHERE id = \(bind: id) AND version = \(bind: current.version) RETURNING id
                    """
                ).first() != nil
            else { throw StoreError.conflict("announcement") }
            try await Self.insertVersion(id, version: version, action: action, text: newText, agent: agent, at: at, on: sql)
            // Posts to the official channels go in the same transaction: never lost if Telegram is down.
            for delivery in deliveries { _ = try await Self.insertDelivery(delivery, at: at, on: sql) }
            if let audit { try await insertAudit(audit, on: sql) }
            guard let updated = try await sql.raw("SELECT \(unsafeRaw: Self.announcementColumns) FROM announcements WHERE id = \(bind: id)").first()
            else { throw StoreError.notFound("announcement") }
            return try Self.announcement(from: updated)
        }
    }

    public func announcementHistory(id: String) async throws -> [AnnouncementVersion] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT version, action, title_en, title_zh, body_en, body_zh, agent_id, created_at FROM announcement_versions
                WHERE announcement_id = \(bind: id) ORDER BY version
                """
            ).all().map { row in
                AnnouncementVersion(
                    version: try row.decode(column: "version", as: Int.self), action: try row.enumValue("action", as: AnnouncementAction.self),
                    text: try Self.announcementText(from: row), agentId: AgentID(rawValue: try row.string("agent_id")), createdAt: try row.date("created_at"))
            }
        }
    }
}
