import Foundation

/// Finds BIP-39 recovery phrases in text: English, simplified and traditional Chinese, the
/// words separated by spaces, commas, line breaks or numbering ("1. abandon 2. ability …"),
/// Chinese words with or without spaces.
///
/// - English: any run of 12 or more list words is a phrase, checksum or not (a valid checksum is
///   one in sixteen for a random run, and prose never strings twelve list words together: "the",
///   "to", "and", "my", "is" are not on the list).
/// - Chinese: the list is the 2,048 most common characters, so ordinary text is mostly list
///   words. A run counts when it is 12, 15, 18, 21 or 24 words between separators with a valid
///   checksum; when some of its words are written without separators it must also look drawn at
///   random (`looksRandom`), which prose never does.
struct RecoveryPhraseFinder: Sendable {
    let sha256: @Sendable (Data) -> Data

    /// A word of the text: Latin letters (lowercased) or one Han character.
    struct Token {
        var range: Range<String.Index>
        var text: String
        var han: Bool
        /// Separator characters between the previous token and this one (0: written together).
        var gap: Int
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

    static let maxGap = 8

    static func isHan(_ scalar: Unicode.Scalar) -> Bool {
        (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value) || (0xF900...0xFAFF).contains(scalar.value)
    }

    /// Spaces, digits (numbering) and the punctuation people list words with.
    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.isWhitespace || ("0"..."9").contains(scalar) || (0xFF10...0xFF19).contains(scalar.value) { return true }
        return ",.;:()[]{}-|/#*_'\"•·，。；：、（）【】「」『』“”‘’—–…．".unicodeScalars.contains(scalar)
    }

    static func tokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        var gap = 0
        var broken = false
        var stop = false
        var digits = false
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar.isASCII, scalar.properties.isAlphabetic {
                var end = scalars.index(after: index)
                while end < scalars.endIndex, scalars[end].isASCII, scalars[end].properties.isAlphabetic { end = scalars.index(after: end) }
                tokens.append(
                    Token(range: index..<end, text: String(scalars[index..<end]).lowercased(), han: false, gap: gap, brokenBefore: broken, sentenceBefore: stop && !digits))
                (gap, broken, stop, digits, index) = (0, false, false, false, end)
            } else if isHan(scalar) {
                let end = scalars.index(after: index)
                tokens.append(Token(range: index..<end, text: String(scalar), han: true, gap: gap, brokenBefore: broken, sentenceBefore: stop && !digits))
                (gap, broken, stop, digits, index) = (0, false, false, false, end)
            } else {
                if isSeparator(scalar) { gap += 1 } else { broken = true }
                if ".!?:。！？：".unicodeScalars.contains(scalar) { stop = true }
                if scalar.properties.numericType != nil { digits = true }
                if gap > maxGap { broken = true }
                index = scalars.index(after: index)
            }
        }
        return tokens
    }

    // MARK: - English

    func englishRuns(_ tokens: [Token]) -> [Range<String.Index>] {
        let list = BIP39Wordlist.english
        var found: [Range<String.Index>] = []
        var start: Int?
        func close(_ end: Int) {
            if let first = start, end - first >= 12 { found.append(tokens[first].range.lowerBound..<tokens[end - 1].range.upperBound) }
            start = nil
        }
        for (position, token) in tokens.enumerated() {
            let listed = !token.han && list.index[token.text] != nil
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
                    let spaced = !gaps.contains(false)
                    if Self.regularlyWritten(gaps), BIP39Wordlist.checksumHolds(window, sha256: sha256), spaced || Self.looksRandom(window) {
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
    /// Random words average position 1,023; Kefu's own Chinese (over a thousand catalog lines)
    /// averages about 400 even in its formal security wording. A random phrase passes with about
    /// 99% probability at every length (simulated: 98.7–99.5%); docs/trust-and-safety.md.
    /// Longer windows may sit a little lower: their average varies less, and their checksum is
    /// longer (8 bits at 24 words against 4 at 12).
    static func looksRandom(_ indices: [Int]) -> Bool {
        let mean = Double(indices.reduce(0, +)) / Double(indices.count)
        let common = indices.filter { $0 < 64 }.count
        let repeats = indices.count - Set(indices).count
        let least: [Int: Double] = [12: 600, 15: 560, 18: 520, 21: 500, 24: 480]
        return mean >= least[indices.count, default: 600] && common <= indices.count / 6 && repeats <= 1
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
