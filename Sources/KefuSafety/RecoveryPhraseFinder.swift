import Foundation

/// Finds BIP-39 recovery phrases in text: English, simplified and traditional Chinese, the
/// words separated by spaces, commas, line breaks or numbering ("1. abandon 2. ability …"),
/// Chinese words with or without spaces.
///
/// - English: a run of 12 or more list words is a phrase when its checksum holds, or when it
///   does not read like support prose (`isEnglishPhrase`).
/// - Chinese: the list is the 2,048 most common characters, so ordinary text is mostly list
///   words. A window of 12, 15, 18, 21 or 24 words counts when it stands apart, is written
///   evenly with one kind of separator, its checksum holds, and it looks drawn at random
///   (`looksRandom`), which prose never does. docs/trust-and-safety.md has the figures.
struct RecoveryPhraseFinder: Sendable {
    let sha256: @Sendable (Data) -> Data

    /// A word of the text: Latin letters (lowercased) or one Han character.
    struct Token {
        var range: Range<String.Index>
        var text: String
        var han: Bool
        /// Separator characters between the previous token and this one (0: written together).
        var gap: Int
        /// What the separators were: a phrase is listed with one kind throughout (spaces, commas,
        /// line breaks, numbering), prose mixes them.
        var gapKind: GapKind = .none
        /// Something that is neither a word nor a separator came before (a run cannot cross it).
        var brokenBefore: Bool
        /// A sentence ended before this word ("… is: PHRASE. Please help"): a full stop, question
        /// or exclamation mark, or a colon, without digits (a numbering's "2." is not one).
        var sentenceBefore: Bool
    }

    func phrases(in text: String) -> [Range<String.Index>] {
        let tokens = Self.tokens(text)
        var found = englishRuns(tokens)
        for list in [BIP39Wordlist.chineseSimplified, BIP39Wordlist.chineseTraditional] {
            found += chinesePhrases(tokens, list: list)
        }
        return found
    }

    // MARK: - Tokens

    /// Separator characters allowed between two words: enough for a two-column list's padding.
    static let maxGap = 24

    static func isHan(_ scalar: Unicode.Scalar) -> Bool {
        (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value) || (0xF900...0xFAFF).contains(scalar.value)
    }

    /// Spaces, digits (numbering) and the punctuation people list words with.
    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        if isWhitespace(scalar) || ("0"..."9").contains(scalar) || (0xFF10...0xFF19).contains(scalar.value) { return true }
        return separatorMarks.contains(scalar)
    }

    static let separatorMarks = Set(",.;:()[]{}<>-|/#*_'\"•·‧・，。；：、（）【】「」『』“”‘’—–…．+=&?!%~`\\".unicodeScalars)
    static let sentenceEnds = Set(".!?:。！？：".unicodeScalars)

    // ASCII answered without the Unicode property tables: every scalar of every scanned mail
    // and message passes through these, and the table lookups were most of the scan's time.
    @inline(__always) static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        let folded = scalar.value | 0x20
        return folded >= 0x61 && folded <= 0x7A
    }

    @inline(__always) static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar == " " || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
    }

    @inline(__always) static func isNumeric(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? ("0"..."9").contains(scalar) : scalar.properties.numericType != nil
    }

    /// What separated two words: a phrase is listed with one kind throughout.
    enum GapKind: Hashable {
        case none, spaces, lineBreaks, numbering, punctuation(Unicode.Scalar)

        static func of(_ scalars: [Unicode.Scalar]) -> GapKind {
            if scalars.isEmpty { return .none }
            if scalars.contains(where: { isNumeric($0) || $0 == "第" || ordinalSuffixes.contains($0) }) { return .numbering }
            if let mark = scalars.first(where: { !isWhitespace($0) }) { return .punctuation(mark) }
            return scalars.contains(where: { $0 == "\n" || $0 == "\r" }) ? .lineBreaks : .spaces
        }
    }

    /// What follows a number in Chinese numbering ("第1个", "3號").
    static let ordinalSuffixes = Set("个個号號位".unicodeScalars)

    /// The text as the finders read it: compatibility-folded (full-width letters and digits,
    /// circled numbers ① become plain ones) and without the characters that draw nothing
    /// (zero-width spaces, joiners, soft hyphens, direction marks), each scalar with the range of
    /// the original text it came from. A phrase hidden with those is still a phrase.
    struct Unit {
        var scalar: Unicode.Scalar
        var range: Range<String.Index>
    }

    static func units(_ text: String) -> [Unit] {
        var units: [Unit] = []
        units.reserveCapacity(text.unicodeScalars.count)
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let next = scalars.index(after: index)
            let scalar = scalars[index]
            defer { index = next }
            // ASCII and the unified Han ideographs fold to themselves: no folding to pay for
            // (the compatibility ideographs, U+F900 on, do fold).
            if scalar.isASCII || (isHan(scalar) && scalar.value < 0xF900) {
                units.append(Unit(scalar: scalar, range: index..<next))
                continue
            }
            if scalar.properties.generalCategory == .format || scalar.properties.isDefaultIgnorableCodePoint { continue }
            for folded in String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars {
                units.append(Unit(scalar: folded, range: index..<next))
            }
        }
        return units
    }

    /// Whether the unit at `position` is part of numbering ("第1个", "第 3 號"), read as a separator.
    static func isOrdinalMark(_ units: [Unit], _ position: Int) -> Bool {
        let scalar = units[position].scalar
        func digit(_ at: Int) -> Bool { at >= 0 && at < units.count && ("0"..."9").contains(units[at].scalar) }
        if scalar == "第" { return digit(position + 1) || (position + 2 < units.count && units[position + 1].scalar == " " && digit(position + 2)) }
        if ordinalSuffixes.contains(scalar) { return digit(position - 1) || (units.indices.contains(position - 2) && units[position - 1].scalar == " " && digit(position - 2)) }
        return false
    }

    static func tokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        let units = units(text)
        var position = 0
        var gap = 0
        var broken = false
        var stop = false
        var digits = false
        var gapScalars: [Unicode.Scalar] = []
        while position < units.count {
            let scalar = units[position].scalar
            if isASCIILetter(scalar) {
                var end = position + 1
                while end < units.count, isASCIILetter(units[end].scalar) { end += 1 }
                let word = String(String.UnicodeScalarView(units[position..<end].map(\.scalar))).lowercased()
                tokens.append(
                    Token(
                        range: units[position].range.lowerBound..<units[end - 1].range.upperBound, text: word, han: false, gap: gap,
                        gapKind: GapKind.of(gapScalars), brokenBefore: broken, sentenceBefore: stop && !digits))
                (gap, broken, stop, digits, position) = (0, false, false, false, end)
                gapScalars = []
            } else if isHan(scalar), !isOrdinalMark(units, position) {
                tokens.append(
                    Token(
                        range: units[position].range, text: String(scalar), han: true, gap: gap, gapKind: GapKind.of(gapScalars), brokenBefore: broken,
                        sentenceBefore: stop && !digits))
                (gap, broken, stop, digits, position) = (0, false, false, false, position + 1)
                gapScalars = []
            } else if scalar == "\\", position + 1 < units.count, "nrt".unicodeScalars.contains(units[position + 1].scalar) {
                // An escaped line break or tab ("\n" inside a JSON string) separates words.
                gap += 2
                gapScalars.append("\n")
                position += 2
            } else {
                if isSeparator(scalar) || isHan(scalar) { gap += 1 } else { broken = true }
                gapScalars.append(scalar)
                if sentenceEnds.contains(scalar) { stop = true }
                if isNumeric(scalar) { digits = true }
                if gap > maxGap { broken = true }
                position += 1
            }
        }
        return tokens
    }

    // MARK: - English

    func englishRuns(_ tokens: [Token]) -> [Range<String.Index>] {
        var found: [Range<String.Index>] = []
        var start: Int?
        func close(_ end: Int) {
            if let first = start, end - first >= 12, Self.isEnglishPhrase(tokens[first..<end].map { Self.englishIndex($0.text)! }, sha256: sha256) {
                found.append(tokens[first].range.lowerBound..<tokens[end - 1].range.upperBound)
            }
            start = nil
        }
        for (position, token) in tokens.enumerated() {
            let listed = !token.han && Self.englishIndex(token.text) != nil
            if listed, start != nil, token.brokenBefore || token.sentenceBefore || token.gap == 0 { close(position) }
            if listed {
                if start == nil { start = position }
            } else {
                close(position)
            }
        }
        close(tokens.count)
        return found
    }

    /// A list word, or the first four letters of one (what steel backup plates hold: four
    /// letters name each English word alone).
    static func englishIndex(_ word: String) -> Int? {
        if let index = BIP39Wordlist.english.index[word] { return index }
        return word.count == 4 ? BIP39Wordlist.englishPrefixes[word] : nil
    }

    /// Twelve or more list words are a phrase when a checksum holds somewhere in them, or when
    /// they do not read like support prose: most of a terse complaint ("price wrong, market
    /// order, sell limit, trade error, please check again today") is on the list too, but made
    /// of the words people write to support, and repeated; a random phrase rarely is.
    static func isEnglishPhrase(_ indices: [Int], sha256: (Data) -> Data) -> Bool {
        // The run itself a phrase by its checksum (windows inside a longer run are not tried:
        // one of them holds by chance in most long runs).
        if BIP39Wordlist.checksumHolds(indices, sha256: sha256) { return true }
        let words = indices.map { BIP39Wordlist.english.words[$0] }
        let common = words.filter { BIP39Wordlist.supportWords.contains($0) }.count
        let repeats = words.count - Set(words).count
        // At most half support words (a random phrase has about a sixth: more than half is one
        // phrase in a thousand), a few repeats at most.
        return common * 2 <= words.count && repeats <= 3
    }

    // MARK: - Chinese

    func chinesePhrases(_ tokens: [Token], list: BIP39Wordlist) -> [Range<String.Index>] {
        var found: [Range<String.Index>] = []
        var position = 0
        while position < tokens.count {
            // A run: consecutive list characters with nothing but separators between them.
            guard tokens[position].han, list.index[tokens[position].text] != nil else {
                position += 1
                continue
            }
            var end = position + 1
            while end < tokens.count, tokens[end].han, !tokens[end].brokenBefore, list.index[tokens[end].text] != nil { end += 1 }
            // A run that another character is written onto (one not on the list) does not start or
            // end there: "…改为您自己的…" has no phrase ending at 自.
            let gluedStart = position > 0 && tokens[position - 1].han && tokens[position].gap == 0 && !tokens[position].brokenBefore
            let gluedEnd = end < tokens.count && tokens[end].han && tokens[end].gap == 0 && !tokens[end].brokenBefore
            found += phrases(in: Array(tokens[position..<end]), list: list, gluedStart: gluedStart, gluedEnd: gluedEnd)
            position = end
        }
        return found
    }

    /// The phrases of one run: windows of a phrase length that start and end at a separator (or
    /// the run's ends), longest first, left to right.
    func phrases(in run: [Token], list: BIP39Wordlist, gluedStart: Bool, gluedEnd: Bool) -> [Range<String.Index>] {
        guard run.count >= 12 else { return [] }
        let indices = run.map { list.index[$0.text] ?? 0 }
        func boundary(before position: Int) -> Bool {
            if position == 0 { return !gluedStart }
            if position == run.count { return !gluedEnd }
            return run[position].gap > 0
        }
        var found: [Range<String.Index>] = []
        var start = 0
        scan: while start + 12 <= run.count {
            if boundary(before: start) {
                for length in [24, 21, 18, 15, 12] where start + length <= run.count && boundary(before: start + length) {
                    let window = Array(indices[start..<start + length])
                    let gaps = run[start + 1..<start + length].map { $0.gap > 0 }
                    // One kind of separator throughout (prose copied with spaces has its commas
                    // too), and spaced or not, the words must look drawn at random: text copied
                    // out of a PDF has a space between every character and is still prose.
                    let kinds = Set(run[start + 1..<start + length].map(\.gapKind)).subtracting([.none])
                    if Self.regularlyWritten(gaps), kinds.count <= 1, BIP39Wordlist.checksumHolds(window, sha256: sha256),
                        Self.looksRandom(window, spaced: !gaps.contains(false))
                    {
                        found.append(run[start].range.lowerBound..<run[start + length - 1].range.upperBound)
                        start += length
                        continue scan
                    }
                }
            }
            start += 1
        }
        return found
    }

    /// Whether list positions look drawn at random (as a phrase's words are) rather than written:
    /// prose uses the commonest characters (the list is in frequency order) and repeats them.
    /// Random words average position 1,023; Kefu's own Chinese averages about 400.
    /// - Written together: an average of 600 at 12 words, a little lower for longer windows
    ///   (their average varies less and their checksum is longer); a random phrase passes about
    ///   99% of the time at every length.
    /// - Written apart (a phrase's usual form, prose's only when copied out of a PDF): an average
    ///   of 450, which a random 12-word phrase misses once in 3,000.
    static func looksRandom(_ indices: [Int], spaced: Bool = false) -> Bool {
        let mean = Double(indices.reduce(0, +)) / Double(indices.count)
        let common = indices.filter { $0 < 64 }.count
        let repeats = indices.count - Set(indices).count
        let least: [Int: Double] = spaced ? [:] : [12: 600, 15: 560, 18: 520, 21: 500, 24: 480]
        return mean >= least[indices.count, default: 450] && common <= indices.count / (spaced ? 4 : 6) && repeats <= 1
    }

    /// How a phrase is written: every word apart, all together, or in even groups of 3 or 4 (as
    /// people copy them off a card). Words and labels of ordinary text are not: Chinese words are
    /// mostly two characters, and a list of them ("提现 额度 账户 …") is not a phrase; two labels
    /// of six characters side by side once passed a looser rule. `gaps[i]`: a separator comes
    /// before word i + 1.
    static func regularlyWritten(_ gaps: [Bool]) -> Bool {
        if !gaps.contains(true) || !gaps.contains(false) { return true }
        return [3, 4].contains { size in gaps.indices.allSatisfy { gaps[$0] == (($0 + 1) % size == 0) } }
    }
}
