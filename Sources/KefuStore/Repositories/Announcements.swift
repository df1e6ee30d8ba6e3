import Foundation
import KefuCore

public protocol AnnouncementRepository: Sendable {
    func createAnnouncement(_ text: AnnouncementText, by agent: AgentID, audit: AuditEvent?) async throws -> Announcement
    func announcement(id: String) async throws -> Announcement?
    /// Newest first; `status` nil for all.
    func announcements(status: AnnouncementStatus?, limit: Int) async throws -> [Announcement]
    /// Records a new version: an edit (with `text`), or a publication or withdrawal (`status`).
    /// `StoreError.notFound` for an unknown id; `StoreError.conflict` when `expectedVersion` is
    /// given and the announcement moved on meanwhile (two publishes at once: one wins).
    func reviseAnnouncement(
        id: String, text: AnnouncementText?, status: AnnouncementStatus?, expectedVersion: Int?, by agent: AgentID, audit: AuditEvent?,
        deliveries: [NewChannelDelivery]
    ) async throws -> Announcement
    func announcementHistory(id: String) async throws -> [AnnouncementVersion]
}
