import Crypto
import Foundation
import KefuCore

/// Text with its secrets replaced by markers, and which kinds were found.
public struct Redaction: Sendable, Equatable {
    public var text: String
    public var kinds: Set<SecretKind>

    public var found: Bool { !kinds.isEmpty }
}

/// Checks text for recovery phrases and private keys before it is stored anywhere, and replaces
/// each with its marker. Pure and thread-safe: one instance serves every channel.
public struct SecretScanner: Sendable {
    let phrases: RecoveryPhraseFinder
    let keys: PrivateKeyFinder

    public init() {
        let sha256: @Sendable (Data) -> Data = { Data(SHA256.hash(data: $0)) }
        phrases = RecoveryPhraseFinder(sha256: sha256)
        keys = PrivateKeyFinder(sha256: sha256)
    }

    public static let standard = SecretScanner()

    /// The text with every secret replaced by its marker.
    public func redact(_ text: String, hexIsKey: Bool = false) -> Redaction {
        var findings = phrases.phrases(in: text).map { ($0, SecretKind.recoveryPhrase) }
            + keys.keys(in: text, hexIsKey: hexIsKey).map { ($0, SecretKind.privateKey) }
        guard !findings.isEmpty else { return Redaction(text: text, kinds: []) }
        // Overlapping findings become one (the first kind wins), then the text is rebuilt.
        findings.sort { $0.0.lowerBound < $1.0.lowerBound }
        var merged: [(Range<String.Index>, SecretKind)] = []
        for finding in findings {
            if let last = merged.last, finding.0.lowerBound < last.0.upperBound {
                merged[merged.count - 1].0 = last.0.lowerBound..<max(last.0.upperBound, finding.0.upperBound)
            } else {
                merged.append(finding)
            }
        }
        var result = ""
        var cursor = text.startIndex
        for (range, kind) in merged {
            result += text[cursor..<range.lowerBound]
            result += kind.marker
            cursor = range.upperBound
        }
        result += text[cursor...]
        return Redaction(text: result, kinds: Set(merged.map(\.1)))
    }
}
