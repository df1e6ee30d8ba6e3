import Foundation
import KefuCore
import SQLKit

extension SQLStore: CannedReplyRepository {
    public func createCannedReply(shortcut: String, body: String, createdBy: AgentID?, audit: AuditEvent?) async throws -> CannedReply {
        let id = UUID().uuidString.lowercased()
        let at = Clock.millis(now())
        do {
            try await database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO canned_replies (id, shortcut, body, created_by, created_at, updated_at)
                    VALUES (\(bind: id), \(bind: shortcut), \(bind: body), \(bind: createdBy?.rawValue), \(bind: at), \(bind: at))
                    """
                ).run()
                if var audit {
                    audit.subjectId = id
                    try await insertAudit(audit, on: sql)
                }
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("a canned reply with this shortcut exists")
        }
        return CannedReply(id: id, shortcut: shortcut, body: body, createdAt: Clock.date(at))
    }

    public func cannedReplies() async throws -> [CannedReply] {
        try await database.read { sql in
            try await sql.raw("SELECT id, shortcut, body, created_at FROM canned_replies ORDER BY shortcut").all().map { row in
                CannedReply(
                    id: try row.string("id"), shortcut: try row.string("shortcut"), body: try row.string("body"),
                    createdAt: try row.date("created_at"))
            }
        }
    }

    public func deleteCannedReply(id: String, audit: AuditEvent?) async throws {
        try await database.write { sql in
            guard try await sql.raw("DELETE FROM canned_replies WHERE id = \(bind: id) RETURNING id").first() != nil else {
                throw StoreError.notFound("canned_reply")
            }
            if let audit { try await insertAudit(audit, on: sql) }
        }
    }
}
