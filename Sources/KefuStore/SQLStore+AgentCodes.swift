import Foundation
import KefuCore
import SQLKit

/// Agents' verification codes (`AgentCode`): issued inside the reply's own transaction, one per
/// agent, conversation and UTC day, and looked up by code.
public protocol AgentCodeRepository: Sendable {
    func agentCode(_ code: String) async throws -> AgentCodeRecord?
    /// The addresses email-channel replies carrying `code` in the conversation were mailed to.
    func agentCodeRecipients(_ code: String, conversationId: ConversationID) async throws -> [String]
}

extension SQLStore: AgentCodeRepository {
    /// Today's code of `agent` in `conversation`, issued now when there is none yet.
    static func issueAgentCode(agent: String, conversation: String, at: Int64, on sql: any SQLDatabase) async throws -> String {
        let now = Clock.date(at)
        let day = AgentCode.day(of: now)
        func existing() async throws -> String? {
            try await sql.raw(
                "SELECT code FROM agent_codes WHERE agent_id = \(bind: agent) AND conversation_id = \(bind: conversation) AND day = \(bind: day)"
            ).first()?.string("code")
        }
        if let code = try await existing() { return code }
        // A drawn code that is taken already (about one in 10¹² per code issued) is drawn again.
        for _ in 0..<4 {
            try await sql.raw(
                """
                INSERT INTO agent_codes (code, agent_id, conversation_id, day, created_at, expires_at)
                VALUES (\(bind: AgentCode.random()), \(bind: agent), \(bind: conversation), \(bind: day), \(bind: at),
                        \(bind: Clock.millis(AgentCode.expiry(ofDay: day))))
                ON CONFLICT DO NOTHING
                """
            ).run()
            if let code = try await existing() { return code }
        }
        throw StoreError.conflict("agent_code")
    }

    public func agentCodeRecipients(_ code: String, conversationId: ConversationID) async throws -> [String] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT o.recipients FROM outbox o JOIN messages m ON m.id = o.message_ref
                WHERE m.conversation_id = \(bind: conversationId.rawValue) AND m.agent_code = \(bind: code) AND o.kind = 'reply'
                """
            ).all().flatMap { row in
                (try? JSONDecoder().decode([String].self, from: Data(try row.string("recipients").utf8))) ?? []
            }
        }
    }

    public func agentCode(_ code: String) async throws -> AgentCodeRecord? {
        try await database.read { sql in
            try await sql.raw(
                "SELECT code, agent_id, conversation_id, created_at, expires_at FROM agent_codes WHERE code = \(bind: code)"
            ).first().map { row in
                AgentCodeRecord(
                    code: try row.string("code"), agentId: AgentID(rawValue: try row.string("agent_id")),
                    conversationId: ConversationID(rawValue: try row.string("conversation_id")), createdAt: try row.date("created_at"),
                    expiresAt: try row.date("expires_at"))
            }
        }
    }
}
