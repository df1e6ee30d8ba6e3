import Foundation
import KefuCore

public protocol InboxRepository: Sendable {
    func createInbox(name: String, kind: InboxKind, audit: AuditEvent?) async throws -> Inbox
    func inbox(id: InboxID) async throws -> Inbox?
    func listInboxes() async throws -> [Inbox]
    /// Renames an inbox or replaces its pre-chat form (nil leaves either as it is).
    func updateInbox(id: InboxID, name: String?, prechatForm: PrechatForm?, audit: AuditEvent?) async throws -> Inbox
}
