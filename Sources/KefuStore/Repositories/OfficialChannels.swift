import Foundation
import KefuCore

/// An entry admins added to the list of official channels.
public struct OfficialChannelRecord: Sendable, Equatable {
    public var id: String
    public var channel: OfficialChannel
    public var note: String
    public var createdBy: AgentID
    public var createdAt: Date
}

/// What customers checked on the verify page, counted per value.
public struct OfficialChannelCheck: Sendable, Equatable {
    public var value: String
    public var status: VerificationStatus
    /// The official value it resembles (impersonation) or is (official).
    public var resembles: String?
    public var checks: Int
    public var firstAt: Date
    public var lastAt: Date
}

public protocol OfficialChannelRepository: Sendable {
    /// `StoreError.conflict` when the same kind and value are listed already.
    func addOfficialChannel(_ channel: OfficialChannel, note: String, by agent: AgentID, audit: AuditEvent?) async throws -> OfficialChannelRecord
    func removeOfficialChannel(id: String, audit: AuditEvent?) async throws
    func officialChannels() async throws -> [OfficialChannelRecord]
    func recordOfficialChannelCheck(value: String, status: VerificationStatus, resembles: String?) async throws
    /// Most checked first; `status` nil for all.
    func officialChannelChecks(status: VerificationStatus?, limit: Int) async throws -> [OfficialChannelCheck]
}
