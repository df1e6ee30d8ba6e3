import Foundation

/// What a secret is: the two things a wallet's support never needs and must never keep. Found in
/// what customers write (KefuSafety) and replaced by `marker` before anything is stored.
public enum SecretKind: String, Sendable, Codable, CaseIterable, Comparable {
    case recoveryPhrase = "recovery_phrase"
    case privateKey = "private_key"

    /// What is stored in the secret's place (the contract; shown to customers in their language).
    public var marker: String {
        switch self {
        case .recoveryPhrase: "[redacted: recovery phrase]"
        case .privateKey: "[redacted: private key]"
        }
    }

    public static func < (lhs: SecretKind, rhs: SecretKind) -> Bool { lhs.rawValue < rhs.rawValue }
}
