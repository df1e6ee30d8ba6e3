import Crypto
import Foundation
import KefuCore

/// "The customer of this account is signed in on this page": a short-lived statement, signed by
/// Kefu, that the wallet's page (which holds the customer's account token) gets from
/// `POST /api/v1/accounts/me/widget-identity` and hands to the chat widget. The widget frame runs
/// on Kefu's origin inside the wallet's site and never sees the account's cookie or token, so
/// this is how it learns who is there: it then joins the chat to the customer's history and shows
/// their anti-phishing code, which a fake chat box cannot know.
///
/// Stateless (an HMAC under a key derived from KEFU_SECRET_KEY) and bound to the account session
/// it was made in: signing out of the wallet voids it; it lives 10 minutes.
public struct WidgetIdentity: Sendable {
    public struct Claim: Equatable, Sendable {
        public let accountId: AccountID
        public let sessionId: String
        public let expiresAt: Date
    }

    public static let lifetime: TimeInterval = 10 * 60
    /// Bytes, not a SymmetricKey: the struct crosses tasks and SymmetricKey is not Sendable.
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(secretKey: Data) {
        keyBytes = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secretKey), info: Data("kefu:widget-identity".utf8), outputByteCount: 32)
            .withUnsafeBytes { Data($0) }
    }

    public func issue(accountId: AccountID, sessionId: String, now: Date) -> (token: String, expiresAt: Date) {
        let millis = Int64(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970 * 1000)
        let payload = Data("v1|\(accountId.rawValue)|\(sessionId)|\(millis)".utf8)
        let mac = Data(HMAC<SHA256>.authenticationCode(for: payload, using: key))
        return ("\(payload.base64URL).\(mac.base64URL)", Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// The claim of a genuine, unexpired token; nil for anything else.
    public func verify(_ token: String, now: Date) -> Claim? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.count <= 512, parts.count == 2, let payload = Data(base64URL: String(parts[0])), let mac = Data(base64URL: String(parts[1])),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key)
        else { return nil }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4, fields[0] == "v1", let millis = Int64(fields[3]) else { return nil }
        let expiresAt = Date(timeIntervalSince1970: Double(millis) / 1000)
        guard expiresAt > now else { return nil }
        return Claim(accountId: AccountID(rawValue: fields[1]), sessionId: fields[2], expiresAt: expiresAt)
    }
}
