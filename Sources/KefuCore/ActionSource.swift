import Foundation

/// Who asks a service to do something, and from where: an agent, a customer, a machine caller
/// or Kefu itself. Services take this value instead of a request, so a channel, a timer and a
/// test call them the same way the web does.
public struct ActionSource: Sendable, Equatable {
    public var author: Author
    /// The client's network address when the action came over the network (for the audit log).
    public var clientAddress: String?

    public init(author: Author, clientAddress: String? = nil) {
        self.author = author
        self.clientAddress = clientAddress
    }

    public static func agent(_ id: AgentID, from address: String? = nil) -> Self { Self(author: .agent(id), clientAddress: address) }
    public static func contact(_ id: ContactID, from address: String? = nil) -> Self { Self(author: .contact(id), clientAddress: address) }
    public static let system = Self(author: .system)

    /// An audit line for something this source did.
    public func audit(_ action: String, subjectKind: String, subjectId: String? = nil, detail: [String: String] = [:]) -> AuditEvent {
        AuditEvent(actor: author, action: action, subjectKind: subjectKind, subjectId: subjectId, detail: detail, clientAddress: clientAddress)
    }
}
