import Foundation

/// A customer's report of an account that claimed to be support: where it wrote to them, its
/// handle, what it said or did, and a screenshot. Agents review reports in a queue; every report
/// not dismissed counts toward the handle on the verify page.
public struct ImpersonationReport: Sendable, Equatable, Codable {
    public enum Place: String, Sendable, Codable, CaseIterable {
        case telegram, whatsapp, wechat, x, email, phone, website, other
    }

    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Waiting for an agent.
        case new
        /// An agent agreed it is an impersonator.
        case confirmed
        /// Not an impersonator (a mistake, or our own account); it stops counting.
        case dismissed
    }

    public var id: String
    public var place: Place
    /// As the customer typed it.
    public var handle: String
    /// The reading it is counted under (as the verify page counts checks: "telegram:kefu_help").
    public var handleKey: String
    public var note: String
    public var screenshotSha256: String?
    public var screenshotType: String?
    public var contactId: ContactID?
    public var locale: String
    public var status: Status
    public var createdAt: Date
    public var reviewedBy: AgentID?
    public var reviewedAt: Date?

    public init(
        id: String, place: Place, handle: String, handleKey: String, note: String, screenshotSha256: String?, screenshotType: String?,
        contactId: ContactID?, locale: String, status: Status, createdAt: Date, reviewedBy: AgentID? = nil, reviewedAt: Date? = nil
    ) {
        (self.id, self.place, self.handle, self.handleKey, self.note) = (id, place, handle, handleKey, note)
        (self.screenshotSha256, self.screenshotType, self.contactId, self.locale) = (screenshotSha256, screenshotType, contactId, locale)
        (self.status, self.createdAt, self.reviewedBy, self.reviewedAt) = (status, createdAt, reviewedBy, reviewedAt)
    }

    public static let maxHandle = 200
    public static let maxNote = 2000
    public static let maxScreenshot = 5 << 20
}
