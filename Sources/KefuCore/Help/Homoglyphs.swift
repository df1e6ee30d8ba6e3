import Foundation

/// Skeletons for spotting lookalikes, in the spirit of Unicode TS #39 "confusables" but focused on
/// what impersonators of a wallet's channels actually use: Cyrillic, Greek and Armenian letters
/// that render as Latin ones, Latin small capitals (ᴋᴇꜰᴜ) and modifier letters (ᵏᵉᶠᵘ, which NFKC
/// folds to letters or small capitals), digits standing in for letters, and letter pairs that read as one.
/// Two strings that look alike get the same skeleton; the skeleton itself is never shown to anyone.
///
/// Skeleton = NFKC (full-width and mathematical letters become ASCII), lowercase, drop combining
/// marks (an accent or a dot below is easy to miss), map each character through the table, then
/// the multi-character rules ("rn" → "m", "vv" → "w").
enum Homoglyphs {
    static func skeleton(_ text: some StringProtocol) -> String {
        var lower = String.UnicodeScalarView()
        for scalar in normalized(String(text), \.precomposedStringWithCompatibilityMapping).unicodeScalars {
            // A few capitals look like a different Latin letter than their lowercase does (Greek
            // Η is "H", η is "n"), so they are read before lowercasing loses that.
            if scalar.isASCII {
                lower.append(("A"..."Z").contains(scalar) ? Unicode.Scalar(UInt8(scalar.value) + 32) : scalar)
            } else if let latin = capitals[scalar] {
                lower.append(latin)
            } else {
                lower.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        let mapped = normalized(String(lower), \.decomposedStringWithCanonicalMapping).unicodeScalars.compactMap { scalar in
            if scalar.isASCII { return asciiLetters[Int(scalar.value)] }
            return scalar.properties.generalCategory == .nonspacingMark ? nil : letters[scalar] ?? scalar
        }
        return joiningPairs(mapped)
    }

    /// A Foundation normalization of the text, skipped for ASCII (which every form leaves alone):
    /// the call costs far more than the check.
    private static func normalized(_ text: String, _ form: (String) -> String) -> String {
        text.utf8.allSatisfy { $0 < 0x80 } ? text : form(text)
    }

    /// The pairs read as one letter joined, left to right (the pairs share no letter, so one pass
    /// gives what replacing each pair everywhere in turn would).
    private static func joiningPairs(_ scalars: [Unicode.Scalar]) -> String {
        var result = String.UnicodeScalarView()
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let next = index + 1
            if next < scalars.endIndex, let single = pairs.first(where: { $0.0 == scalars[index] && $0.1 == scalars[next] })?.2 {
                result.append(single)
                index += 2
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return String(result)
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
            case 0x41...0x5A, 0x61...0x7A, 0xC0...0x2AF, 0x1D00...0x1DBF, 0x1E00...0x1EFF, 0x2C60...0x2C7F, 0xA720...0xA7FF,
                0xAB30...0xAB6F:
                self = .latin
            case 0x370...0x3FF, 0x1F00...0x1FFF: self = .greek
            case 0x400...0x52F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F: self = .cyrillic
            case 0x530...0x58F: self = .armenian
            default: return nil
            }
        }
    }

    /// Letter pairs that read as one letter, applied after the table (so Greek "νν" is "w" too).
    private static let pairs: [(Unicode.Scalar, Unicode.Scalar, Unicode.Scalar)] = [("r", "n", "m"), ("v", "v", "w")]

    /// Capitals whose lowercase form looks like another Latin letter.
    private static let capitals: [Unicode.Scalar: Unicode.Scalar] = [
        "\u{0397}": "h",  // Greek Η (lowercase η looks like n)
        "\u{039D}": "n",  // Greek Ν (lowercase ν looks like v)
        "\u{039C}": "m",  // Greek Μ (lowercase μ looks like u)
        "\u{03A5}": "y",  // Greek Υ (lowercase υ looks like u)
        "\u{0396}": "z",  // Greek Ζ
    ]

    /// `letters` for ASCII, by code: most of every skeleton is ASCII, and indexing beats hashing.
    private static let asciiLetters: [Unicode.Scalar] = (0..<128).map { code in
        let scalar = Unicode.Scalar(UInt8(code))
        return letters[scalar] ?? scalar
    }

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
        "\u{025B}": "e",  // ɛ open e (as Greek ε)
        // Latin small capitals: at text size they pass for lowercase letters.
        "\u{1D00}": "a",  // ᴀ
        "\u{0299}": "b",  // ʙ
        "\u{1D03}": "b",  // ᴃ barred
        "\u{1D04}": "c",  // ᴄ
        "\u{1D05}": "d",  // ᴅ
        "\u{1D06}": "d",  // ᴆ eth
        "\u{1D07}": "e",  // ᴇ
        "\u{A730}": "f",  // ꜰ
        "\u{0262}": "g",  // ɢ
        "\u{029C}": "h",  // ʜ
        "\u{026A}": "l",  // ɪ (the i/l class)
        "\u{1D0A}": "j",  // ᴊ
        "\u{1D0B}": "k",  // ᴋ
        "\u{029F}": "l",  // ʟ
        "\u{1D0C}": "l",  // ᴌ with stroke
        "\u{1D0D}": "m",  // ᴍ
        "\u{0274}": "n",  // ɴ
        "\u{1D0F}": "o",  // ᴏ
        "\u{1D18}": "p",  // ᴘ
        "\u{1D29}": "p",  // ᴩ Greek small capital rho
        "\u{A7AF}": "q",  // ꞯ
        "\u{0280}": "r",  // ʀ
        "\u{A731}": "s",  // ꜱ
        "\u{1D1B}": "t",  // ᴛ
        "\u{1D1C}": "u",  // ᴜ
        "\u{1D20}": "v",  // ᴠ
        "\u{1D21}": "w",  // ᴡ
        "\u{028F}": "y",  // ʏ
        "\u{1D22}": "z",  // ᴢ
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

// MARK: Host names

/// Host names as a browser reads them (IDNA-style mapping, label rules, Punycode): kept with the
/// skeletons because a lookalike host is only comparable once it is read in the letters it shows.
extension ChannelText {
    /// A host name, mapped (`mappedHost`) and a leading "www." dropped (for links). Labels are
    /// letters of any script, digits, combining marks and "-"; without a scheme it takes two labels
    /// and a top-level label with a letter ("1.2.3.4" is not a pasted domain).
    static func host(_ raw: Substring, requireDomain: Bool, dropWWW: Bool) -> String? {
        guard let mapped = mappedHost(raw) else { return nil }
        let parts = mapped.split(separator: ".", omittingEmptySubsequences: false)
        return joined(parts, requireDomain: requireDomain, dropWWW: dropWWW)
    }

    /// A host a browser would refuse for its characters, with each run of them made a dot
    /// ("wallet.example.com＃x" → "wallet.example.com.x"); nil when it holds none.
    static func cleanedHost(_ raw: Substring) -> String? {
        guard let mapped = mappedHost(raw), mapped.unicodeScalars.contains(where: { !isHostScalar($0) }) else { return nil }
        let dotted = String(String.UnicodeScalarView(mapped.unicodeScalars.map { isHostScalar($0) ? $0 : "." }))
        return joined(dotted.split(separator: "."), requireDomain: false, dropWWW: true)
    }

    /// As a browser maps a host before checking it: percent-decoded, NFKC, lowercase, ideographic
    /// full stops as dots, one trailing dot dropped. Nil when empty or too long.
    private static func mappedHost(_ raw: Substring) -> String? {
        var text = String(raw)
        if text.contains("%") { text = text.removingPercentEncoding ?? text }
        // NFKC leaves ASCII alone, and costs far more than this check.
        if !text.utf8.allSatisfy({ $0 < 0x80 }) {
            let folded = text.precomposedStringWithCompatibilityMapping.unicodeScalars.map { $0 == "\u{3002}" ? "." : $0 }
            text = String(String.UnicodeScalarView(folded))
        }
        text = text.lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        return text.isEmpty || text.count > 253 ? nil : text
    }

    /// Labels as a host: "xn--" labels decoded, each checked; nil when one is not a label.
    private static func joined(_ parts: [Substring], requireDomain: Bool, dropWWW: Bool) -> String? {
        var labels = parts.map { Punycode.decodedLabel(String($0)) }
        guard !labels.isEmpty, labels.allSatisfy(isLabel) else { return nil }
        if requireDomain {
            guard labels.count >= 2, let top = labels.last, top.contains(where: \.isLetter) else { return nil }
        }
        if dropWWW, labels.count > 2, labels[0] == "www" { labels.removeFirst() }
        return labels.joined(separator: ".")
    }

    /// 1–63 host characters, not all "-", not starting with a combining mark (IDNA refuses one).
    static func isLabel(_ label: String) -> Bool {
        guard let first = label.unicodeScalars.first, !isMark(first), label.unicodeScalars.count <= 63 else { return false }
        return label.contains(where: { $0 != "-" }) && label.unicodeScalars.allSatisfy { $0 != "." && isHostScalar($0) }
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        [.nonspacingMark, .spacingMark, .enclosingMark].contains(scalar.properties.generalCategory)
    }

    /// A letter of any script, a digit, a combining mark, "-" or ".".
    private static func isHostScalar(_ scalar: Unicode.Scalar) -> Bool {
        let category = scalar.properties.generalCategory
        return scalar == "-" || scalar == "." || scalar.properties.isAlphabetic || category == .decimalNumber
            || category == .nonspacingMark || category == .spacingMark
    }
}

/// RFC 3492 decoding, so an "xn--" host pasted from an address bar (browsers show lookalike
/// hosts that way) is compared in the letters it stands for. A label that does not decode to
/// host letters is kept as typed.
enum Punycode {
    static func decodedLabel(_ label: String) -> String {
        guard label.hasPrefix("xn--"), let decoded = decode(label.dropFirst(4)), ChannelText.isLabel(decoded) else { return label }
        return decoded.precomposedStringWithCompatibilityMapping.lowercased()
    }

    static func decode(_ input: Substring) -> String? {
        let base = 36, tMin = 1, tMax = 26
        let encoded = Array(input.unicodeScalars)
        guard encoded.allSatisfy(\.isASCII) else { return nil }
        var output: [Unicode.Scalar] = []
        var position = 0
        if let delimiter = encoded.lastIndex(of: "-") {
            output = Array(encoded[..<delimiter])
            position = delimiter + 1
        }
        var code = 128, index = 0, bias = 72
        while position < encoded.count {
            let oldIndex = index
            var weight = 1
            var k = base
            while true {
                guard position < encoded.count, let digit = digitValue(encoded[position]) else { return nil }
                position += 1
                let (step, overflow) = digit.multipliedReportingOverflow(by: weight)
                guard !overflow, index <= Int(Int32.max) - step else { return nil }
                index += step
                let threshold = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                if digit < threshold { break }
                guard weight <= Int(Int32.max) / (base - threshold) else { return nil }
                weight *= base - threshold
                k += base
            }
            bias = adapt(delta: index - oldIndex, points: output.count + 1, first: oldIndex == 0)
            code += index / (output.count + 1)
            index %= output.count + 1
            guard code <= 0x10FFFF, output.count < 63, let scalar = Unicode.Scalar(code) else { return nil }
            output.insert(scalar, at: index)
            index += 1
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: output)
        return String(view)
    }

    private static func digitValue(_ scalar: Unicode.Scalar) -> Int? {
        switch scalar.value {
        case 0x30...0x39: Int(scalar.value) - 0x30 + 26
        case 0x41...0x5A: Int(scalar.value) - 0x41
        case 0x61...0x7A: Int(scalar.value) - 0x61
        default: nil
        }
    }

    private static func adapt(delta: Int, points: Int, first: Bool) -> Int {
        var delta = first ? delta / 700 : delta / 2
        delta += delta / points
        var k = 0
        while delta > ((36 - 1) * 26) / 2 {
            delta /= 36 - 1
            k += 36
        }
        return k + (36 * delta) / (delta + 38)
    }
}
