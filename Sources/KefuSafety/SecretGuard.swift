import Foundation
import KefuCore
import KefuLocalization

/// What the conversations service does with a customer's text before storing it: secrets out,
/// markers in, and the words that tell the customer why, in their language.
public struct SecretGuard: Sendable {
    let scanner: SecretScanner

    public init(scanner: SecretScanner = .standard) {
        self.scanner = scanner
    }

    public static let standard = SecretGuard()

    public func redact(_ text: String) -> Redaction {
        scanner.redact(text)
    }

    /// A one-value field (a wallet UID) where 64 hex digits can only be a pasted key.
    public func redactIdentifier(_ text: String) -> Redaction {
        scanner.redact(text, hexIsKey: true)
    }

    /// The message the customer gets at once: support never needs it; move the funds.
    public func warning(for kinds: Set<SecretKind>, locale: String?) -> String {
        let language = UILocale(storedTag: locale)
        return kinds.sorted().map { Catalog.standard.text(.secretWarning($0), language) }.joined(separator: "\n\n")
    }

    /// Stored text as a customer reads it: the markers in their language.
    public static func forCustomer(_ text: String, locale: UILocale) -> String {
        guard text.contains("[redacted: ") else { return text }
        var shown = text
        for kind in SecretKind.allCases { shown = shown.replacingOccurrences(of: kind.marker, with: Catalog.standard.text(.secretMarker(kind), locale)) }
        return shown
    }
}
