import Foundation

/// The rules a wallet customer's password must follow. Configurable; the default is the
/// customer FAQ's (at least 10 characters with a letter, a digit and a symbol), plus what NIST
/// SP 800-63B asks of any verifier: no commonly used password, nothing derived from the account
/// name, room for long passphrases in any script.
public struct CustomerPasswordPolicy: Sendable {
    public var minLength: Int
    /// Long enough for any passphrase (NIST: at least 64); the cap only bounds the work done.
    public var maxLength: Int
    public var requireLetter: Bool
    public var requireDigit: Bool
    public var requireSymbol: Bool
    /// How many earlier passwords may not come back (checked by the caller against their hashes).
    public var historyDepth: Int
    /// Lower-cased; the shipped list of the 10,000 most common passwords.
    public var commonPasswords: Set<String>

    public init(
        minLength: Int = 10, maxLength: Int = 256, requireLetter: Bool = true, requireDigit: Bool = true, requireSymbol: Bool = true,
        historyDepth: Int = 5, commonPasswords: Set<String> = []
    ) {
        self.minLength = minLength
        self.maxLength = max(maxLength, 64)
        self.requireLetter = requireLetter
        self.requireDigit = requireDigit
        self.requireSymbol = requireSymbol
        self.historyDepth = historyDepth
        self.commonPasswords = commonPasswords
    }

    /// Rule codes, stable for API clients and translated for people.
    public enum Rule: String, Sendable, CaseIterable {
        case tooShort = "password_too_short"
        case tooLong = "password_too_long"
        case needsLetter = "password_needs_letter"
        case needsDigit = "password_needs_digit"
        case needsSymbol = "password_needs_symbol"
        case common = "password_common"
        case containsEmail = "password_contains_email"
        case reused = "password_reused"
    }

    /// Every rule the password breaks (all of them, so the customer fixes it in one go).
    /// Length counts characters as people see them, in any script.
    public func broken(_ password: String, email: String) -> [Rule] {
        var rules: [Rule] = []
        let normalized = password.precomposedStringWithCompatibilityMapping
        if normalized.count < minLength { rules.append(.tooShort) }
        if normalized.count > maxLength { rules.append(.tooLong) }
        if requireLetter && !normalized.contains(where: \.isLetter) { rules.append(.needsLetter) }
        if requireDigit && !normalized.contains(where: \.isNumber) { rules.append(.needsDigit) }
        if requireSymbol && !normalized.contains(where: { !$0.isLetter && !$0.isNumber }) { rules.append(.needsSymbol) }
        let lower = normalized.lowercased()
        // A common password with a symbol or digit tacked on is still a common password.
        let core = lower.trimmingCharacters(in: CharacterSet.alphanumerics.inverted).trimmingCharacters(in: .decimalDigits)
        if commonPasswords.contains(lower) || (core.count >= 4 && commonPasswords.contains(core)) { rules.append(.common) }
        let local = email.split(separator: "@").first.map { $0.lowercased() } ?? ""
        if local.count >= 3 && lower.contains(local) { rules.append(.containsEmail) }
        return rules
    }
}
