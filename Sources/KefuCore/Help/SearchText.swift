import Foundation

/// Text analysis for the help-center search: one normaliser and one tokenizer shared by indexing,
/// querying and highlighting, so that what is indexed and what is asked always agree.
///
/// Latin words are stemmed (Porter); Chinese (and Japanese, Korean) has no spaces, so a run of
/// ideographs is indexed as single characters and overlapping bigrams, and queried by bigrams.
public enum SearchText {
    /// NFKC, then case folding (lowercase, no diacritic removal for CJK; Latin diacritics removed),
    /// then traditional → simplified per character. Full-width ASCII becomes ASCII (NFKC does it).
    /// Default-ignorable code points (soft hyphens, zero-width spaces, variation selectors) are
    /// dropped, so that they cannot split a word or a run of ideographs.
    public static func normalize(_ text: String) -> String {
        SearchScanner.string(SearchNormalizer.scalars(text)[...])
    }

    /// The terms to index for a text, in text order, duplicates kept (for term frequency):
    /// stemmed Latin words without stop words, and every CJK character and overlapping bigram
    /// ("忘记密码" → 忘, 忘记, 记, 记密, 密, 密码, 码). Everything else separates tokens.
    public static func indexTerms(_ text: String) -> [String] {
        let scalars = SearchNormalizer.scalars(text)
        var terms: [String] = []
        terms.reserveCapacity(scalars.count / 2)
        SearchScanner.scan(scalars) { token in
            switch token.kind {
            case .word:
                guard let word = SearchScanner.word(scalars, token.range), !stopWords.contains(word) else { return }
                terms.append(EnglishStemmer.stem(word))
            case .cjk:
                for i in token.range {
                    terms.append(SearchScanner.string(scalars[i..<(i + 1)]))
                    if i + 1 < token.range.upperBound {
                        terms.append(SearchScanner.string(scalars[i..<(i + 2)]))
                    }
                }
            }
        }
        return terms
    }

    /// A search box query analysed for matching.
    public static func query(_ text: String) -> SearchQuery {
        let scalars = SearchNormalizer.scalars(text)
        // Pieces in query order; stop words are decided only once the whole query is seen.
        enum Piece { case word(String, isStop: Bool), cjk(ArraySlice<Unicode.Scalar>) }
        var pieces: [Piece] = []
        SearchScanner.scan(scalars) { token in
            switch token.kind {
            case .word:
                guard let word = SearchScanner.word(scalars, token.range) else { return }
                pieces.append(.word(word, isStop: stopWords.contains(word)))
            case .cjk:
                pieces.append(.cjk(scalars[token.range]))
            }
        }
        // A query of nothing but stop words ("how to") keeps them rather than asking for nothing.
        let keepStopWords = !pieces.contains {
            if case .word(_, isStop: true) = $0 { false } else { true }
        }

        var query = SearchQuery()
        var seenTerms = Set<String>()
        var seenWords = Set<String>()
        var seenRuns = Set<String>()
        func addTerm(_ term: String) {
            if seenTerms.insert(term).inserted { query.terms.append(term) }
        }
        for piece in pieces {
            switch piece {
            case .word(let surface, let isStop):
                guard !isStop || keepStopWords else { continue }
                let stem = EnglishStemmer.stem(surface)
                addTerm(stem)
                if seenWords.insert(surface).inserted {
                    query.words.append(SearchQuery.Word(surface: surface, stem: stem))
                }
            case .cjk(let run):
                if run.count == 1 {
                    addTerm(SearchScanner.string(run))
                } else {
                    for i in run.startIndex..<(run.endIndex - 1) {
                        addTerm(SearchScanner.string(run[i..<(i + 2)]))
                    }
                }
                let runText = SearchScanner.string(run)
                if seenRuns.insert(runText).inserted { query.cjkRuns.append(runText) }
            }
        }
        return query
    }

    /// Lowercased, normalised Latin words of length ≥ 3, not stemmed, not stop words, letters only,
    /// for the typo-correction vocabulary ("Authenticator," → "authenticator"). In text order,
    /// duplicates kept (so a caller can count them).
    public static func vocabularyWords(_ text: String) -> [String] {
        let scalars = SearchNormalizer.scalars(text)
        var words: [String] = []
        SearchScanner.scan(scalars) { token in
            guard token.kind == .word,
                  let word = SearchScanner.word(scalars, token.range),
                  word.unicodeScalars.count >= 3,
                  word.unicodeScalars.allSatisfy(SearchScanner.isLetter),
                  !stopWords.contains(word)
            else { return }
            words.append(word)
        }
        return words
    }

    /// Words too common to search for; dropped from the index and from queries.
    static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "is", "are", "be", "was", "were",
        "it", "its", "this", "that", "with", "as", "at", "by", "from", "i", "you", "your", "we", "our",
        "my", "me", "do", "does", "did", "how", "what", "can", "will", "not", "no", "if", "so", "than",
        "then", "there", "here", "have", "has", "had",
    ]
}

/// A search box query analysed for matching.
public struct SearchQuery: Sendable, Equatable {
    /// Distinct terms every one of which a document must contain (AND), in query order: Latin
    /// stems, and CJK bigrams (or the character itself for a one-character run).
    public var terms: [String]
    /// The Latin words as typed (normalised, unstemmed) with their stems, for typo correction
    /// and highlighting.
    public var words: [Word]
    /// The normalised CJK runs ("忘记密码"), for highlighting.
    public var cjkRuns: [String]

    public struct Word: Sendable, Equatable {
        public var surface: String
        public var stem: String

        public init(surface: String, stem: String) {
            self.surface = surface
            self.stem = stem
        }
    }

    public var isEmpty: Bool { terms.isEmpty }

    public init(terms: [String] = [], words: [Word] = [], cjkRuns: [String] = []) {
        self.terms = terms
        self.words = words
        self.cjkRuns = cjkRuns
    }
}

// MARK: - Normaliser

/// NFKC, case folding, Latin diacritics off, traditional → simplified, one scalar at a time.
enum SearchNormalizer {
    /// The normalised text as scalars, the form the tokenizer works on.
    static func scalars(_ text: String) -> [Unicode.Scalar] {
        // Pure ASCII is already NFKC; skip Foundation's pass for it.
        let isASCII = text.utf8.allSatisfy { $0 < 0x80 }
        let composed = isASCII ? text : text.precomposedStringWithCompatibilityMapping
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(composed.utf8.count)
        var afterLatin = false
        for scalar in composed.unicodeScalars {
            fold(scalar, into: &output, afterLatin: &afterLatin)
        }
        return output
    }

    /// Appends the normalised form of one original Character, for the highlighter, which must
    /// know which original character each normalised scalar came from.
    static func append(_ character: Character, to output: inout [Unicode.Scalar], afterLatin: inout Bool) {
        let scalars = character.unicodeScalars
        if let only = scalars.first, scalars.index(after: scalars.startIndex) == scalars.endIndex, isNFKCStable(only) {
            fold(only, into: &output, afterLatin: &afterLatin)
            return
        }
        for scalar in String(character).precomposedStringWithCompatibilityMapping.unicodeScalars {
            fold(scalar, into: &output, afterLatin: &afterLatin)
        }
    }

    /// Scalars that NFKC leaves alone and that make up most help text: ASCII, Latin-1 letters,
    /// Han, kana, Hangul syllables.
    private static func isNFKCStable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0xA0, 0xC0...0xFF, 0x3041...0x3096, 0x30A1...0x30FA, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7A3:
            return true
        default:
            return false
        }
    }

    /// Case folds one NFKC scalar, strips Latin diacritics and maps traditional to simplified.
    private static func fold(_ scalar: Unicode.Scalar, into output: inout [Unicode.Scalar], afterLatin: inout Bool) {
        let value = scalar.value
        if value < 0x80 {
            let isUpper = value >= 0x41 && value <= 0x5A
            output.append(isUpper ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
            afterLatin = isUpper || (value >= 0x61 && value <= 0x7A)
            return
        }
        if SearchScanner.isCJK(scalar) {
            output.append(ChineseVariants.simplified(scalar))
            afterLatin = false
            return
        }
        // A diacritic NFKC could not compose onto its Latin letter ("q̃"): drop it as well.
        if afterLatin && (0x300...0x36F).contains(value) { return }
        if scalar.properties.isDefaultIgnorableCodePoint { return }
        if let plain = latinFolds[scalar] {
            output.append(plain)
            afterLatin = true
            return
        }
        afterLatin = isLatinLetter(scalar)
        if scalar.properties.changesWhenLowercased {
            output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        } else {
            output.append(scalar)
        }
    }

    private static func isLatinLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F, 0x1E00...0x1EFF: return true
        default: return false
        }
    }

    /// Latin letters with diacritics or capitals → plain lowercase letter ("É" → "e", "ẞ" → "ß"),
    /// computed once from Unicode's own decompositions.
    private static let latinFolds: [Unicode.Scalar: Unicode.Scalar] = {
        var table: [Unicode.Scalar: Unicode.Scalar] = [:]
        for value in Array(0xC0...0x24F) + Array(0x1E00...0x1EFF) {
            guard let scalar = Unicode.Scalar(UInt32(value)), scalar.properties.isAlphabetic else { continue }
            let plain = String(Character(scalar)).lowercased().decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { !(0x300...0x36F).contains($0.value) }
            if plain.count == 1, let only = plain.first, only != scalar { table[scalar] = only }
        }
        return table
    }()
}

// MARK: - Tokenizer

/// Splits normalised scalars into Latin/digit words and CJK runs; everything else separates.
enum SearchScanner {
    enum Kind { case word, cjk }

    struct Token {
        var kind: Kind
        /// Scalars of the normalised text; a word's range includes any apostrophes it joined.
        var range: Range<Int>
    }

    /// Words longer than this (hashes, addresses, run-together junk) are not indexed.
    static let maxWordLength = 40

    static func scan(_ scalars: [Unicode.Scalar], _ visit: (Token) -> Void) {
        let count = scalars.count
        var i = 0
        while i < count {
            let scalar = scalars[i]
            if isCJK(scalar) {
                let start = i
                i += 1
                while i < count && isCJK(scalars[i]) { i += 1 }
                visit(Token(kind: .cjk, range: start..<i))
            } else if isWordScalar(scalar) {
                let start = i
                i += 1
                while i < count {
                    let next = scalars[i]
                    if isCJK(next) { break }
                    if isWordScalar(next) || isMark(next) {
                        i += 1
                    } else if isApostrophe(next), i + 1 < count, !isCJK(scalars[i + 1]), isWordScalar(scalars[i + 1]) {
                        i += 2  // "don't" is one word, "dont"
                    } else {
                        break
                    }
                }
                visit(Token(kind: .word, range: start..<i))
            } else {
                i += 1
            }
        }
    }

    /// The word of a word token without its apostrophes, or nil when it is too long to index
    /// (or was nothing but a modifier-letter apostrophe).
    static func word(_ scalars: [Unicode.Scalar], _ range: Range<Int>) -> String? {
        var length = 0
        var utf8Count = 0
        for scalar in scalars[range] where !isApostrophe(scalar) {
            length += 1
            utf8Count += scalar.utf8.count
        }
        guard length > 0 && length <= maxWordLength else { return nil }
        return makeString(scalars[range], utf8Count: utf8Count) { !isApostrophe($0) }
    }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var utf8Count = 0
        for scalar in scalars { utf8Count += scalar.utf8.count }
        return makeString(scalars, utf8Count: utf8Count) { _ in true }
    }

    /// Writes UTF-8 straight into the new String: terms are short, so most need no heap at all.
    private static func makeString(
        _ scalars: ArraySlice<Unicode.Scalar>, utf8Count: Int, including: (Unicode.Scalar) -> Bool
    ) -> String {
        String(unsafeUninitializedCapacity: utf8Count) { buffer in
            var written = 0
            for scalar in scalars where including(scalar) {
                for byte in scalar.utf8 {
                    buffer[written] = byte
                    written += 1
                }
            }
            return written
        }
    }

    /// Han (with extensions and compatibility ideographs), kana and Hangul: scripts written
    /// without spaces between words, indexed by characters and bigrams.
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x11FF,  // Hangul Jamo
             0x3005...0x3007,  // 々 〆 〇
             0x3041...0x3096, 0x3099...0x309A, 0x309D...0x309F,  // Hiragana
             0x30A1...0x30FA, 0x30FC...0x30FF, 0x31F0...0x31FF,  // Katakana (not the ・ middle dot)
             0x3131...0x318E,  // Hangul compatibility Jamo
             0x3400...0x4DBF,  // Han extension A
             0x4E00...0x9FFF,  // Han
             0xA960...0xA97F, 0xAC00...0xD7A3, 0xD7B0...0xD7FF,  // Hangul
             0xF900...0xFAFF,  // Han compatibility ideographs
             0x1B000...0x1B16F,  // Kana supplement and extensions
             0x20000...0x323AF,  // Han extensions B–I
             0x2F800...0x2FA1F:  // Han compatibility supplement
            return true
        default:
            return false
        }
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (value >= 0x61 && value <= 0x7A) || (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 { return (value >= 0x61 && value <= 0x7A) || (value >= 0x41 && value <= 0x5A) }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// Combining marks continue a word (scripts such as Devanagari need them).
    static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.value >= 0x300 else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    static func isApostrophe(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "'" || scalar == "\u{2019}" || scalar == "\u{02BC}"
    }
}

