import Crypto
import Foundation
import KefuCore

/// The capability in a survey's links and buttons: the survey's id and a MAC of it under the
/// secret key, base64url ("s" + 38 characters). It names one survey, so it answers one
/// resolution; it cannot be guessed or turned into another survey's.
public struct SurveyLinks: Sendable {
    let keyBytes: Data
    public let publicURL: String

    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(secretKey: Data, publicURL: String) {
        // A key of its own, derived: a survey token is never valid as anything else.
        keyBytes = Data(HMAC<SHA256>.authenticationCode(for: Data("kefu-csat-links".utf8), using: SymmetricKey(data: secretKey)))
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    public func token(for id: SurveyID) -> String {
        guard let uuid = UUID(uuidString: id.rawValue) else { return "" }
        let bytes = withUnsafeBytes(of: uuid.uuid) { Data($0) }
        let mac = Data(HMAC<SHA256>.authenticationCode(for: bytes, using: key)).prefix(12)
        return Self.base64url(bytes + mac)
    }

    /// The survey a token names, or nil when it is not one of ours.
    public func survey(for token: String) -> SurveyID? {
        // One spelling per survey: the last character's unused bits must be zero.
        guard token.count == 38, let data = Self.data(base64url: token), data.count == 28, Self.base64url(data) == token else { return nil }
        let bytes = data.prefix(16)
        let expected = Data(HMAC<SHA256>.authenticationCode(for: bytes, using: key)).prefix(12)
        guard constantTimeEquals(Self.base64url(expected), Self.base64url(Data(data.suffix(12)))) else { return nil }
        let uuid = bytes.withUnsafeBytes { raw in UUID(uuid: raw.loadUnaligned(as: uuid_t.self)) }
        return SurveyID(rawValue: uuid.uuidString.lowercased())
    }

    /// The rating page; `?rating=N` opens it with N chosen (a visit records nothing).
    public func page(for id: SurveyID) -> String { "\(publicURL)/csat/\(token(for: id))" }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64url text: String) -> Data? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
