import Foundation
import HummingbirdOTP
import KefuCore

/// Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s), accepting the previous and
/// next step for clock drift. Replay is prevented by the caller claiming the matched step.
public struct TOTPService: Sendable {
    public static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    public static let timeStep: TimeInterval = 30

    public init() {}

    /// 32 characters from a 32-symbol alphabet: 160 bits of entropy, as RFC 4226 recommends.
    public func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in Self.alphabet.randomElement(using: &generator)! })
    }

    public func provisioningURI(secret: String, account: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "Kefu:\(account)", issuer: "Kefu")
    }

    /// The Base32 text an agent types into an authenticator app when they cannot scan.
    public func manualEntryKey(secret: String, account: String) -> String {
        let uri = provisioningURI(secret: secret, account: account)
        guard let components = URLComponents(string: uri),
            let value = components.queryItems?.first(where: { $0.name == "secret" })?.value
        else { return "" }
        return stride(from: 0, to: value.count, by: 4).map { start -> String in
            let begin = value.index(value.startIndex, offsetBy: start)
            let end = value.index(begin, offsetBy: min(4, value.count - start))
            return String(value[begin..<end])
        }.joined(separator: " ")
    }

    public func code(secret: String, step: Int64) -> String {
        let value = TOTP(secret: secret).compute(date: Date(timeIntervalSince1970: Double(step) * Self.timeStep))
        return String(format: "%06d", value)
    }

    public static func step(at date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / timeStep).rounded(.down)) }

    /// The time step whose code matches, within ±1 step of `now`; nil when none does.
    public func matchingStep(secret: String, code: String, now: Date) -> Int64? {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        let current = Self.step(at: now)
        var matched: Int64?
        for step in (current - 1)...(current + 1) where constantTimeEquals(self.code(secret: secret, step: step), digits) {
            matched = step
        }
        return matched
    }
}
