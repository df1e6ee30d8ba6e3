import Foundation

/// The languages Kefu speaks to people. Everything user-facing exists in each of these.
public enum UILocale: String, Sendable, CaseIterable, Codable {
    case en
    case zhCN = "zh-CN"

    /// Picks the best supported locale from an Accept-Language header value.
    /// Any Chinese variant maps to zh-CN (the only Chinese we ship yet); unknown falls back to en.
    public static func negotiate(acceptLanguage: String?) -> Self {
        guard let acceptLanguage else { return .en }
        let ranked = acceptLanguage.split(separator: ",").compactMap { part -> (String, Double)? in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first, !tag.isEmpty else { return nil }
            var quality = 1.0
            for piece in pieces.dropFirst() where piece.hasPrefix("q=") {
                quality = Double(piece.dropFirst(2)) ?? 0
            }
            return (tag.lowercased(), quality)
        }
        for (tag, quality) in ranked.sorted(by: { $0.1 > $1.1 }) where quality > 0 {
            if let match = Self(tag: tag) { return match }
        }
        return .en
    }

    /// Maps a language tag ("zh", "zh-Hans-CN", "en-GB") to a supported locale, if any.
    public init?(tag: String) {
        let lower = tag.lowercased()
        if lower == "zh" || lower.hasPrefix("zh-") || lower.hasPrefix("zh_") {
            self = .zhCN
        } else if lower == "en" || lower.hasPrefix("en-") || lower.hasPrefix("en_") {
            self = .en
        } else {
            return nil
        }
    }
}
