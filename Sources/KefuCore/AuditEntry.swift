import Foundation

/// One line of the append-only audit log: who did what to which thing, from where.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: Date
    public var actor: Author
    public var action: String
    public var subjectKind: String
    public var subjectId: String?
    public var detail: [String: String]
    public var clientAddress: String?

    public init(
        id: Int64, at: Date, actor: Author, action: String, subjectKind: String, subjectId: String?,
        detail: [String: String], clientAddress: String?
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.subjectKind = subjectKind
        self.subjectId = subjectId
        self.detail = detail
        self.clientAddress = clientAddress
    }
}

/// An audit entry about to be appended.
public struct AuditEvent: Sendable, Equatable {
    public var actor: Author
    public var action: String
    public var subjectKind: String
    public var subjectId: String?
    public var detail: [String: String]
    public var clientAddress: String?

    public init(
        actor: Author, action: String, subjectKind: String, subjectId: String? = nil,
        detail: [String: String] = [:], clientAddress: String? = nil
    ) {
        self.actor = actor
        self.action = action
        self.subjectKind = subjectKind
        self.subjectId = subjectId
        self.detail = detail
        self.clientAddress = clientAddress
    }
}
