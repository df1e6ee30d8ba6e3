import Foundation

/// Skeletons for spotting lookalikes, in the spirit of Unicode TS #39 "confusables" but focused on
/// what impersonators of a wallet's channels actually use: Cyrillic, Greek and Armenian letters
/// that render as Latin ones, digits standing in for letters, and letter pairs that read as one.
/// Two strings that look alike get the same skeleton; the skeleton itself is never shown to anyone.
///
/// Skeleton = NFKC (full-width and mathematical letters become ASCII), lowercase, drop combining
/// marks (an accent or a dot below is easy to miss), map each character through the table, then
/// the multi-character rules ("rn" → "m", "vv" → "w").
enum Homoglyphs {
    static func skeleton(_ text: some StringProtocol) -> String {
        var mapped = String.UnicodeScalarView()
        for scalar in String(text).precomposedStringWithCompatibilityMapping.unicodeScalars {
            // A few capitals look like a different Latin letter than their lowercase does (Greek
            // Η is "H", η is "n"), so they are read before lowercasing loses that.
            if let latin = capitals[scalar] {
                mapped.append(latin)
                continue
            }
            for lower in String(scalar).lowercased().decomposedStringWithCanonicalMapping.unicodeScalars
            where lower.properties.generalCategory != .nonspacingMark {
                mapped.append(letters[lower] ?? lower)
            }
        }
        var result = String(mapped)
        for (pair, single) in pairs where result.contains(pair) {
            result = result.replacingOccurrences(of: pair, with: single)
        }
        return result
    }

    /// True when a label or handle holds letters of more than one of the scripts lookalikes are
    /// drawn from (Latin, Cyrillic, Greek, Armenian). Latin next to Chinese is ordinary and is not
    /// counted; digits and punctuation belong to no script.
    static func mixesScripts(_ text: some StringProtocol) -> Bool {
        var seen: Script?
        for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
            guard let script = Script(scalar) else { continue }
            if let first = seen, first != script { return true }
            seen = script
        }
        return false
    }

    enum Script {
        case latin, cyrillic, greek, armenian

        init?(_ scalar: Unicode.Scalar) {
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A, 0xC0...0x2AF, 0x1D00...0x1D7F, 0x1E00...0x1EFF: self = .latin
            case 0x370...0x3FF, 0x1F00...0x1FFF: self = .greek
            case 0x400...0x52F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F: self = .cyrillic
            case 0x530...0x58F: self = .armenian
            default: return nil
            }
        }
    }

    /// Letter pairs that read as one letter, applied after the table (so Greek "νν" is "w" too).
    private static let pairs: [(String, String)] = [("rn", "m"), ("vv", "w")]

    /// Capitals whose lowercase form looks like another Latin letter.
    private static let capitals: [Unicode.Scalar: Unicode.Scalar] = [
        "\u{0397}": "h",  // Greek Η (lowercase η looks like n)
        "\u{039D}": "n",  // Greek Ν (lowercase ν looks like v)
        "\u{039C}": "m",  // Greek Μ (lowercase μ looks like u)
        "\u{03A5}": "y",  // Greek Υ (lowercase υ looks like u)
        "\u{0396}": "z",  // Greek Ζ
    ]

    /// Lowercase lookalikes → the Latin letter they pass for. "l", "i", "1", "|" and their
    /// lookalikes are one class ("l"): values are lowercased before they are compared, so the
    /// capital I that passes for an l has already become an i by then.
    private static let letters: [Unicode.Scalar: Unicode.Scalar] = [
        // Digits and ASCII.
        "0": "o", "1": "l", "3": "e", "5": "s", "i": "l", "|": "l",
        // Latin letters outside ASCII.
        "\u{0131}": "l",  // ı dotless i
        "\u{0269}": "l",  // ɩ iota
        "\u{01C0}": "l",  // ǀ dental click
        "\u{0251}": "a",  // ɑ alpha
        "\u{0261}": "g",  // ɡ script g
        "\u{0237}": "j",  // ȷ dotless j
        "\u{1D0F}": "o",  // ᴏ small capital o
        // Cyrillic.
        "\u{0430}": "a",  // а
        "\u{0432}": "b",  // в (capital В)
        "\u{044C}": "b",  // ь
        "\u{0435}": "e",  // е
        "\u{04BB}": "h",  // һ
        "\u{043D}": "h",  // н (capital Н)
        "\u{0456}": "l",  // і
        "\u{0458}": "j",  // ј
        "\u{043A}": "k",  // к
        "\u{04CF}": "l",  // ӏ palochka
        "\u{043C}": "m",  // м (capital М)
        "\u{043F}": "n",  // п
        "\u{043E}": "o",  // о
        "\u{0440}": "p",  // р
        "\u{051B}": "q",  // ԛ
        "\u{0441}": "c",  // с
        "\u{0455}": "s",  // ѕ
        "\u{0442}": "t",  // т (capital Т)
        "\u{0443}": "y",  // у
        "\u{04AF}": "y",  // ү
        "\u{0445}": "x",  // х
        "\u{0501}": "d",  // ԁ
        "\u{051D}": "w",  // ԝ
        "\u{0461}": "w",  // ѡ
        // Greek.
        "\u{03B1}": "a",  // α
        "\u{03B2}": "b",  // β
        "\u{03B3}": "y",  // γ
        "\u{03B5}": "e",  // ε
        "\u{03B7}": "n",  // η
        "\u{03B9}": "l",  // ι
        "\u{03BA}": "k",  // κ
        "\u{03BC}": "u",  // μ
        "\u{03BD}": "v",  // ν
        "\u{03BF}": "o",  // ο
        "\u{03C1}": "p",  // ρ
        "\u{03C4}": "t",  // τ
        "\u{03C5}": "u",  // υ
        "\u{03C7}": "x",  // χ
        "\u{03C9}": "w",  // ω
        "\u{03F2}": "c",  // ϲ lunate sigma
        "\u{03C2}": "c",  // ς final sigma (NFKC turns ϲ into it)
        "\u{03F3}": "j",  // ϳ
        // Armenian.
        "\u{0570}": "h",  // հ
        "\u{0578}": "n",  // ո
        "\u{057D}": "u",  // ս
        "\u{0585}": "o",  // օ
    ]
}
