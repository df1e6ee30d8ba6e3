import Foundation
import KefuCore

public protocol CannedReplyRepository: Sendable {
    func createCannedReply(shortcut: String, body: String, createdBy: AgentID?, audit: AuditEvent?) async throws -> CannedReply
    func cannedReplies() async throws -> [CannedReply]
    func deleteCannedReply(id: String, audit: AuditEvent?) async throws
}
