import Crypto
import Foundation
import KefuCore

/// A subscription's signing secret, as the Standard Webhooks spec writes it: `whsec_` and the
/// base64 of the key bytes. Shown once when made; receivers verify with it.
public struct WebhookSecret: Sendable, Equatable {
    public static let prefix = "whsec_"

    /// The HMAC key.
    public let key: Data

    /// Reads `whsec_<base64>` (or the bare base64, as some libraries print it); nil for anything
    /// that does not hold 24 to 64 key bytes.
    public init?(_ text: String) {
        let encoded = text.hasPrefix(Self.prefix) ? String(text.dropFirst(Self.prefix.count)) : text
        guard let key = Data(base64Encoded: encoded), (24...64).contains(key.count) else { return nil }
        self.key = key
    }

    init(key: Data) { self.key = key }

    /// A new secret of 32 random bytes.
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        return WebhookSecret(key: Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }

    /// How the secret is shown to the admin, once.
    public var text: String { Self.prefix + key.base64EncodedString() }
}

/// Signing outbound webhooks the Standard Webhooks way, which receivers' libraries verify:
/// `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the
/// secret's key, one per secret, space-separated (during a rotation both the old and the new
/// secret sign, so receivers can switch at their own pace).
public enum WebhookSignature {
    /// How far a receiver's clock may be from the sender's (the spec's suggestion).
    public static let tolerance: TimeInterval = 5 * 60

    public static func sign(id: String, timestamp: Int64, body: Data, secrets: [WebhookSecret]) -> String {
        secrets.map { "v1," + signature(id: id, timestamp: timestamp, body: body, key: $0.key) }.joined(separator: " ")
    }

    /// What a receiver does: some `v1` signature in `header` matches under `secret`, and the
    /// timestamp is within `tolerance` of `now` (an old, replayed delivery is refused).
    public static func verify(header: String, id: String, timestamp: Int64, body: Data, secret: WebhookSecret, now: Date) -> Bool {
        guard abs(now.timeIntervalSince1970 - TimeInterval(timestamp)) <= tolerance else { return false }
        let expected = signature(id: id, timestamp: timestamp, body: body, key: secret.key)
        return header.split(separator: " ").contains { part in
            let pieces = part.split(separator: ",", maxSplits: 1)
            guard pieces.count == 2, pieces[0] == "v1" else { return false }
            return constantTimeEquals(String(pieces[1]), expected)
        }
    }

    static func signature(id: String, timestamp: Int64, body: Data, key: Data) -> String {
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))).base64EncodedString()
    }
}
