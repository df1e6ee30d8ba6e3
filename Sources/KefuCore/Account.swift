import Foundation

public enum AccountTag {}
public typealias AccountID = Identifier<AccountTag>

/// A wallet customer's account as Kefu keeps it. Secrets (password hash, TOTP secret) stay in
/// `AccountCredentials` so they cannot leak into a response.
public struct Account: Sendable, Equatable, Codable {
    public var id: AccountID
    public var email: String
    public var emailVerified: Bool
    /// The customer on every support channel (the contact with this email).
    public var contactId: ContactID?
    public var locale: String?
    /// Verification (KYC) tier, 0 (unverified) to 3.
    public var tier: Int
    /// The country verification established (ISO 3166-1 alpha-2); regions' rules apply to it.
    public var country: String?
    public var totpEnabled: Bool
    public var antiPhishingCode: String?
    /// Withdrawals are blocked until then after a security change.
    public var withdrawalsLockedUntil: Date?
    public var createdAt: Date

    public init(
        id: AccountID, email: String, emailVerified: Bool = false, contactId: ContactID? = nil, locale: String? = nil, tier: Int = 0,
        country: String? = nil, totpEnabled: Bool = false, antiPhishingCode: String? = nil, withdrawalsLockedUntil: Date? = nil, createdAt: Date
    ) {
        self.id = id
        self.email = email
        self.emailVerified = emailVerified
        self.contactId = contactId
        self.locale = locale
        self.tier = tier
        self.country = country
        self.totpEnabled = totpEnabled
        self.antiPhishingCode = antiPhishingCode
        self.withdrawalsLockedUntil = withdrawalsLockedUntil
        self.createdAt = createdAt
    }
}

/// An account's secrets: the same shape as an agent's (password hash, sealed TOTP secret, last step).
public typealias AccountCredentials = Credentials

/// What a mailed single-use account token is for.
public enum AccountTokenPurpose: String, Sendable, Codable {
    case verifyEmail = "verify_email"
    case passwordReset = "password_reset"
    /// The "this wasn't me" link in a new-device notice.
    case wasntMe = "wasnt_me"
    /// Confirms a new email address (mailed to that address; the token carries it).
    case changeEmail = "change_email"
    /// Cancels a scheduled 2FA reset (mailed when a supervisor approves it; carries its id).
    case cancelTwoFactorReset = "cancel_two_factor_reset"
}

/// A signed-in device.
public struct AccountSession: Sendable, Equatable, Codable {
    public var id: String
    public var accountId: AccountID
    public var userAgent: String?
    public var clientAddress: String?
    public var createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date

    public init(
        id: String, accountId: AccountID, userAgent: String?, clientAddress: String?, createdAt: Date, lastSeenAt: Date, expiresAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.userAgent = userAgent
        self.clientAddress = clientAddress
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
    }
}

/// Something that happened to an account's security (shown to the customer and to agents).
public struct AccountEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case registered
        case emailVerified = "email_verified"
        case login
        case loginFailed = "login_failed"
        case passwordResetRequested = "password_reset_requested"
        case passwordChanged = "password_changed"
        case sessionsRevoked = "sessions_revoked"
        case twoFactorEnabled = "two_factor_enabled"
        case twoFactorDisabled = "two_factor_disabled"
        case recoveryCodeUsed = "recovery_code_used"
        case newDevice = "new_device"
        case wasntMe = "wasnt_me"
        case antiPhishingChanged = "anti_phishing_changed"
        case emailChangeRequested = "email_change_requested"
        case emailChanged = "email_changed"
        case twoFactorResetRequested = "two_factor_reset_requested"
        case twoFactorResetScheduled = "two_factor_reset_scheduled"
        case twoFactorResetCancelled = "two_factor_reset_cancelled"
        case twoFactorResetRejected = "two_factor_reset_rejected"
        case twoFactorResetApplied = "two_factor_reset_applied"
    }

    public var kind: Kind
    public var detail: [String: String]
    public var clientAddress: String?
    public var userAgent: String?
    public var createdAt: Date

    public init(kind: Kind, detail: [String: String] = [:], clientAddress: String? = nil, userAgent: String? = nil, createdAt: Date) {
        self.kind = kind
        self.detail = detail
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.createdAt = createdAt
    }
}

/// A phrase the customer chooses; Kefu shows it in every mail it sends them and in the chat when
/// they are signed in, so a fake (which cannot know it) is recognisable.
public enum AntiPhishingCode {
    public static let maxLength = 20

    /// The code as the customer means it: surrounding spaces dropped (nothing left means no code).
    public static func trimmed(_ raw: String) -> String { raw.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Everything wrong with a trimmed code: 1–20 characters in any script, but not `<` or `>`,
    /// control characters, line or paragraph separators or bidirectional controls, which would
    /// make the code read differently in a mail or the chat from what the customer typed.
    public static func problems(_ code: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if code.isEmpty { problems.append(.required) }
        if code.unicodeScalars.contains(where: isRefused) { problems.append(.rule("invalid_characters")) }
        if code.count > maxLength { problems.append(.tooLong(max: maxLength)) }
        return problems
    }

    static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return scalar == "<" || scalar == ">" || scalar.properties.isBidiControl
        }
    }
}
