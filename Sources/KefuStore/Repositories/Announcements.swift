import Foundation
import KefuCore

public protocol AnnouncementRepository: Sendable {
    func createAnnouncement(_ text: AnnouncementText, by agent: AgentID, audit: AuditEvent?) async throws -> Announcement
    func announcement(id: String) async throws -> Announcement?
    /// Newest first; `status` nil for all.
    func announcements(status: AnnouncementStatus?, limit: Int) async throws -> [Announcement]
    /// Records a new version: an edit (with `text`), or a publication or withdrawal (`status`).
    /// `StoreError.notFound` for an unknown id.
    func reviseAnnouncement(
        id: String, text: AnnouncementText?, status: AnnouncementStatus?, by agent: AgentID, audit: AuditEvent?, deliveries: [NewChannelDelivery]
    ) async throws -> Announcement
    func announcementHistory(id: String) async throws -> [AnnouncementVersion]
}
