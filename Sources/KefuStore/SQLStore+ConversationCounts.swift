import Foundation
import KefuCore
import SQLKit

/// How many conversations match a filter: the inbox's tabs and the API's totals.
extension SQLStore {
    public func countConversations(filter: ConversationFilter) async throws -> Int {
        let clause = whereClause(filter)
        return try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM conversations WHERE \(clause)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    public func countConversationsByStatus(filter: ConversationFilter) async throws -> [ConversationStatus: Int] {
        var anyStatus = filter
        anyStatus.status = nil
        let clause = whereClause(anyStatus)
        let rows = try await database.read { sql in
            try await sql.raw("SELECT status, COUNT(*) AS n FROM conversations WHERE \(clause) GROUP BY status").all()
        }
        var counts: [ConversationStatus: Int] = [:]
        for row in rows {
            guard let status = ConversationStatus(rawValue: try row.string("status")) else { continue }
            counts[status] = try row.decode(column: "n", as: Int.self)
        }
        return counts
    }
}
