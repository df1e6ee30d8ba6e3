import Crypto
import Foundation
import KefuAccounts
import KefuCore
import KefuStore

/// A chat visitor proves their email with a mailed code; their session then belongs to the
/// customer with that address, so the same history shows on every device they verify on.
/// A typed email alone never opens anyone's history.
public struct WidgetEmailVerification: Sendable {
    public typealias Repositories = EmailCodeRepository & WidgetSessionRepository & ContactRepository
    public let store: any Repositories
    public let mailer: EmailReplies
    /// Codes are HMACs under the server's secret: six digits are too few to store as a plain hash.
    public let secretKey: Data
    /// Who may ask for codes how often, beside the store's 3 per address (`sendCode`).
    public let throttler: any CredentialThrottle

    public static let purpose = "widget"
    public static let validity: TimeInterval = 15 * 60
    public static let maxCodesPerWindow = 3
    public static let maxAttempts = 5
    /// A code mail goes out from the official support address to whatever address a visitor
    /// types: without limits per session, per client and per mailbox (plus-tags folded), Kefu
    /// would mail-bomb an inbox for anyone and spend the sender's reputation.
    public static let perSession = ThrottlePolicy(freeAttempts: 5, window: 15 * 60, baseDelay: 30, maxDelay: 900)
    public static let perClient = ThrottlePolicy(freeAttempts: 20, window: 15 * 60, baseDelay: 30, maxDelay: 900)
    public static let perMailbox = ThrottlePolicy(freeAttempts: 5, window: 15 * 60, baseDelay: 60, maxDelay: 900)


    public func digest(_ code: String, email: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(Self.purpose):\(email):\(code)".utf8), using: SymmetricKey(data: secretKey))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Mails a new code. The answer is the same whether or not anyone has this address.
    public func sendCode(to rawEmail: String, session: WidgetSession, address: String?, now: Date) async throws {
        guard EmailAddress.isPlausible(rawEmail) else { throw WebchatError.invalid("email", .invalid) }
        let email = EmailAddress.normalize(rawEmail)
        // Every request counts, mailed or not: the ticket is never given back.
        _ = try await throttler.admit([
            ("widget-code-session:\(session.id)", Self.perSession), ("widget-code-client:\(ClientNetwork.key(address))", Self.perClient),
            ("widget-code-mailbox:\(EmailAddress.mailbox(email))", Self.perMailbox),
        ])
        let code = String(format: "%06d", Int.random(in: 0..<1_000_000))
        guard
            let id = try await store.createEmailCode(
                purpose: Self.purpose, email: email, codeHash: digest(code, email: email), expiresAt: now.addingTimeInterval(Self.validity),
                limit: Self.maxCodesPerWindow, since: now.addingTimeInterval(-Self.validity))
        else { throw WebchatError.tooManyCodes(retryAfter: Int(Self.validity)) }
        try await mailer.sendVerificationCode(
            code, to: email, locale: session.locale ?? "en", key: "code:\(id)", validMinutes: Int(Self.validity / 60))
    }

    /// Checks the code; on success the session's contact is the verified customer.
    public func confirm(email rawEmail: String, code: String, session: WidgetSession) async throws -> ContactID {
        let email = EmailAddress.normalize(rawEmail)
        let trimmed = code.filter(\.isNumber)
        guard trimmed.count == 6,
            try await store.checkEmailCode(purpose: Self.purpose, email: email, codeHash: digest(trimmed, email: email), maxAttempts: Self.maxAttempts)
                == .valid
        else { throw WebchatError.invalidCode }
        return try await store.verifySessionEmail(sessionId: session.id, email: email)
    }

    public init(store: any Repositories, mailer: EmailReplies, secretKey: Data, throttler: any CredentialThrottle) {
        self.store = store
        self.mailer = mailer
        self.secretKey = secretKey
        self.throttler = throttler
    }
}
