import Foundation

/// What an agent may do. Ordered: an admin can do everything a supervisor can, and so on.
public enum AgentRole: String, Codable, Sendable, CaseIterable, Comparable {
    case agent
    case supervisor
    case admin

    private var rank: Int {
        switch self {
        case .agent: 0
        case .supervisor: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

public enum AgentStatus: String, Codable, Sendable, CaseIterable {
    case active
    case disabled
}

/// A support agent as the rest of the product sees it. Secrets (password hash, TOTP secret)
/// live in `AgentCredentials` so they cannot leak through an API response by accident.
public struct Agent: Sendable, Equatable, Codable {
    public var id: AgentID
    public var email: String
    public var name: String
    public var role: AgentRole
    public var status: AgentStatus
    public var totpEnabled: Bool
    /// Set for a one-time password from an invitation: the agent must choose their own first.
    public var mustChangePassword: Bool
    /// How many open chats auto-assignment may give this agent at once.
    public var chatCapacity: Int
    public var locale: String?
    /// Where the agent's uploaded picture is served (customers see it in the widget); nil
    /// shows initials instead.
    public var avatarUrl: String?
    /// Given by an admin to an agent who writes help articles (supervisors and admins may anyway).
    public var helpEditor: Bool
    public var createdAt: Date

    public init(
        id: AgentID, email: String, name: String, role: AgentRole, status: AgentStatus = .active,
        totpEnabled: Bool = false, mustChangePassword: Bool = false, chatCapacity: Int = 5, locale: String? = nil,
        avatarUrl: String? = nil, helpEditor: Bool = false, createdAt: Date
    ) {
        self.helpEditor = helpEditor
        self.id = id
        self.email = email
        self.name = name
        self.role = role
        self.status = status
        self.totpEnabled = totpEnabled
        self.mustChangePassword = mustChangePassword
        self.chatCapacity = chatCapacity
        self.locale = locale
        self.avatarUrl = avatarUrl
        self.createdAt = createdAt
    }
}

extension Agent {
    /// Whether the agent may write, publish and withdraw help articles.
    public var canEditHelp: Bool { role >= .supervisor || helpEditor }
}

/// An agent's picture: a small image, recognised by its bytes, stored by content.
public struct AgentAvatar: Sendable, Equatable {
    public var sha256: String
    public var contentType: String

    public init(sha256: String, contentType: String) {
        self.sha256 = sha256
        self.contentType = contentType
    }

    /// Small enough to send to every visitor: a 256×256 photo is far below this.
    public static let maxBytes = 1 << 20

    /// Images only (no PDF): the same sniffing as chat attachments.
    public static func sniff(_ bytes: some Collection<UInt8>) -> String? {
        guard let type = AttachmentPolicy.sniff(bytes), type.hasPrefix("image/") else { return nil }
        return type
    }

    /// The public address of the picture; the content hash in the query makes it cacheable
    /// forever and changes when the agent uploads a new one.
    public static func url(agentId: AgentID, sha256: String) -> String {
        "/avatars/\(agentId.rawValue)?v=\(sha256.prefix(16))"
    }
}

/// The secret half of an agent's or a customer's record, read only by the login and password
/// paths, so secrets cannot leak into a response by accident.
public typealias AgentCredentials = Credentials

public struct Credentials: Sendable, Equatable {
    public var passwordHash: String
    /// AES-GCM sealed TOTP secret (base64), present once enrolment has started.
    public var sealedTOTPSecret: String?
    /// The last TOTP time step accepted, so a code can never be used twice.
    public var lastTOTPStep: Int64?

    public init(passwordHash: String, sealedTOTPSecret: String? = nil, lastTOTPStep: Int64? = nil) {
        self.passwordHash = passwordHash
        self.sealedTOTPSecret = sealedTOTPSecret
        self.lastTOTPStep = lastTOTPStep
    }
}

public struct Team: Sendable, Equatable, Codable {
    public var id: TeamID
    public var name: String
    public var createdAt: Date

    public init(id: TeamID, name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// Emails are compared case-insensitively and without surrounding space everywhere.
public enum EmailAddress {
    public static func normalize(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// An address Kefu can mail and compare: `local@domain` in plain ASCII (Kefu's mail does not
    /// speak SMTPUTF8), the local part a dot-atom (RFC 5322 without the quoted forms, which let one
    /// mailbox be spelled many ways, and without `%` and `!`, which some relays still route by),
    /// the domain two or more LDH labels (punycode for international names). Anything else,
    /// NUL, angle brackets and control characters included, is refused before it reaches a
    /// relay or a limit keyed by the address.
    public static func isPlausible(_ raw: String) -> Bool {
        let value = normalize(raw)
        guard value.utf8.count <= 254, value.unicodeScalars.allSatisfy({ $0.isASCII }) else { return false }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, isDotAtom(parts[0]), isHostname(parts[1]) else { return false }
        return true
    }

    /// The inbox a normalised address reaches, for limits per inbox: "li+1@example.cn" and
    /// "li+2@example.cn" are one, and so are "l.i@gmail.com" and "li@googlemail.com" (Gmail
    /// ignores dots).
    public static func mailbox(_ email: String) -> String {
        guard let at = email.lastIndex(of: "@") else { return email }
        var local = String(email[..<at].prefix { $0 != "+" })
        var domain = String(email[email.index(after: at)...])
        if domain == "gmail.com" || domain == "googlemail.com" {
            local = local.replacingOccurrences(of: ".", with: "")
            domain = "gmail.com"
        }
        return "\(local)@\(domain)"
    }

    static let atext = Set("abcdefghijklmnopqrstuvwxyz0123456789#$&'*+/=?^_`{|}~-")
    static let ldh = Set("abcdefghijklmnopqrstuvwxyz0123456789-")

    static func isDotAtom(_ local: Substring) -> Bool {
        guard (1...64).contains(local.count) else { return false }
        return local.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.allSatisfy { atext.contains($0) }
        }
    }

    static func isHostname(_ domain: Substring) -> Bool {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, domain.count <= 253, let top = labels.last, !top.allSatisfy(\.isNumber) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.allSatisfy { ldh.contains($0) } && label.first != "-" && label.last != "-"
        }
    }
}
