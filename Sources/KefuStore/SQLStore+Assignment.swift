import Foundation
import KefuCore
import SQLKit

/// Automatic assignment reads every agent's open load and who got the last chat, picks, and
/// records the pick, in the transaction that assigns. On PostgreSQL those transactions take
/// turns (an advisory lock, taken first so it is never waited for while holding another):
/// two instances starting chats at once would otherwise both see room under an agent's
/// capacity, or both give the next chat to the same agent.
extension SQLStore {
    static let assignmentLock = 4_647_302

    static func takeAssignmentTurn(_ flavor: SQLFlavor, on sql: any SQLDatabase) async throws {
        guard flavor == .postgres else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(\(literal: assignmentLock))").run()
    }

    static func openLoad(on sql: any SQLDatabase) async throws -> [AgentID: Int] {
        let rows = try await sql.raw(
            """
            SELECT assignee_id, COUNT(*) AS n FROM conversations
            WHERE assignee_id IS NOT NULL AND status IN ('open', 'pending') GROUP BY assignee_id
            """
        ).all()
        var load: [AgentID: Int] = [:]
        for row in rows { load[AgentID(rawValue: try row.string("assignee_id"))] = try row.decode(column: "n", as: Int.self) }
        return load
    }

    /// The pick of `assign` for `conversation`, remembered as the last one assigned.
    static func choose(_ assign: AssignmentChoice, for conversation: ConversationID, on sql: any SQLDatabase) async throws -> AutoAssignment? {
        let last = try await sql.raw("SELECT last_agent_id FROM assignment_rotation WHERE id = 1").first()
            .flatMap { try $0.optionalString("last_agent_id") }.map(AgentID.init(rawValue:))
        guard let choice = assign(conversation, try await openLoad(on: sql), last) else { return nil }
        try await sql.raw(
            """
            INSERT INTO assignment_rotation (id, last_agent_id) VALUES (1, \(bind: choice.agent.rawValue))
            ON CONFLICT (id) DO UPDATE SET last_agent_id = excluded.last_agent_id
            """
        ).run()
        return choice
    }
}
