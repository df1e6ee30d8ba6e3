import Foundation

/// HTML escaping by Unicode scalar. Escaping by `Character` misses a `<` that a combining mark
/// or a prepended sign (U+0600…) fuses into one grapheme with it, and the browser still reads
/// that `<` as markup: every text Kefu puts into HTML goes through this instead.
public enum HTMLEscaping {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
