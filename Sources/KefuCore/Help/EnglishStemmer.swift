/// The Porter stemming algorithm as published in M. F. Porter, "An algorithm for suffix
/// stripping", Program 14(3), 1980: steps 1a–5b, rules as in the paper (so "abli" → "able", not
/// the later C version's "bli" → "ble" and "logi" → "log"). Written from that description.
///
/// Input is a lowercase word; a word that is not made only of the letters a–z (digits, other
/// scripts, upper case) or that has two letters or fewer is returned unchanged.
public enum EnglishStemmer {
    public static func stem(_ word: String) -> String {
        let utf8 = word.utf8
        guard utf8.count > 2, utf8.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else {
            return word
        }
        var stemmer = PorterWord(Array(utf8))
        stemmer.run()
        return String(decoding: stemmer.letters, as: UTF8.self)
    }
}

/// One word being stemmed: ASCII lowercase letters, shortened step by step.
private struct PorterWord {
    var letters: [UInt8]

    init(_ letters: [UInt8]) { self.letters = letters }

    mutating func run() {
        step1a()
        step1b()
        step1c()
        step2()
        step3()
        step4()
        step5()
    }

    // MARK: Letters and measure

    /// A consonant is a letter other than a, e, i, o, u, and other than y preceded by a consonant.
    private func isConsonant(_ i: Int) -> Bool {
        switch letters[i] {
        case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"):
            return false
        case UInt8(ascii: "y"):
            return i == 0 ? true : !isConsonant(i - 1)
        default:
            return true
        }
    }

    /// m in [C](VC)^m[V] for the first `length` letters.
    private func measure(_ length: Int) -> Int {
        var m = 0
        var i = 0
        while i < length && isConsonant(i) { i += 1 }
        while i < length {
            while i < length && !isConsonant(i) { i += 1 }
            guard i < length else { break }
            while i < length && isConsonant(i) { i += 1 }
            m += 1
        }
        return m
    }

    /// *v*: the first `length` letters contain a vowel.
    private func hasVowel(_ length: Int) -> Bool {
        (0..<length).contains { !isConsonant($0) }
    }

    /// *d: the first `length` letters end with a double consonant.
    private func endsWithDoubleConsonant(_ length: Int) -> Bool {
        length >= 2 && letters[length - 1] == letters[length - 2] && isConsonant(length - 1)
    }

    /// *o: the first `length` letters end consonant–vowel–consonant, the last not w, x or y.
    private func endsCVC(_ length: Int) -> Bool {
        guard length >= 3, isConsonant(length - 1), !isConsonant(length - 2), isConsonant(length - 3) else {
            return false
        }
        let last = letters[length - 1]
        return last != UInt8(ascii: "w") && last != UInt8(ascii: "x") && last != UInt8(ascii: "y")
    }

    private func endsWith(_ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard letters.count >= count else { return false }
        return suffix.withUTF8Buffer { suffixBytes in
            letters[(letters.count - count)...].elementsEqual(suffixBytes)
        }
    }

    /// Length of the stem left when `suffix` is removed (the caller checked `endsWith`).
    private func stemLength(without suffix: StaticString) -> Int {
        letters.count - suffix.utf8CodeUnitCount
    }

    private mutating func replace(_ suffix: StaticString, with replacement: StaticString) {
        letters.removeLast(suffix.utf8CodeUnitCount)
        replacement.withUTF8Buffer { letters.append(contentsOf: $0) }
    }

    /// Applies the rule with the longest matching suffix, if its stem has m > `minimumMeasure`;
    /// as in the paper, a matching rule whose condition fails stops the step.
    private mutating func applyFirstMatch(_ rules: [(StaticString, StaticString)], minimumMeasure: Int) {
        for (suffix, replacement) in rules where endsWith(suffix) {
            if measure(stemLength(without: suffix)) > minimumMeasure {
                replace(suffix, with: replacement)
            }
            return
        }
    }

    // MARK: Steps

    private mutating func step1a() {
        if endsWith("sses") {
            replace("sses", with: "ss")
        } else if endsWith("ies") {
            replace("ies", with: "i")
        } else if endsWith("ss") {
            return
        } else if endsWith("s") {
            replace("s", with: "")
        }
    }

    private mutating func step1b() {
        if endsWith("eed") {
            if measure(stemLength(without: "eed")) > 0 { replace("eed", with: "ee") }
            return
        }
        let removed: Bool
        if endsWith("ed"), hasVowel(stemLength(without: "ed")) {
            replace("ed", with: "")
            removed = true
        } else if endsWith("ing"), hasVowel(stemLength(without: "ing")) {
            replace("ing", with: "")
            removed = true
        } else {
            removed = false
        }
        guard removed else { return }
        // Tidy the stem so that e.g. "hopping" → "hop", "hoping" → "hope", "conflated" → "conflate".
        if endsWith("at") {
            replace("at", with: "ate")
        } else if endsWith("bl") {
            replace("bl", with: "ble")
        } else if endsWith("iz") {
            replace("iz", with: "ize")
        } else if endsWithDoubleConsonant(letters.count),
                  let last = letters.last,
                  last != UInt8(ascii: "l"), last != UInt8(ascii: "s"), last != UInt8(ascii: "z") {
            letters.removeLast()
        } else if measure(letters.count) == 1, endsCVC(letters.count) {
            letters.append(UInt8(ascii: "e"))
        }
    }

    private mutating func step1c() {
        if endsWith("y"), hasVowel(letters.count - 1) {
            replace("y", with: "i")
        }
    }

    private static let step2Rules: [(StaticString, StaticString)] = [
        // Longest first where one suffix ends another ("ational" before "tional", "ization" before "ation").
        ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
        ("abli", "able"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
        ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
        ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
    ]

    private mutating func step2() {
        applyFirstMatch(Self.step2Rules, minimumMeasure: 0)
    }

    private static let step3Rules: [(StaticString, StaticString)] = [
        ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
    ]

    private mutating func step3() {
        applyFirstMatch(Self.step3Rules, minimumMeasure: 0)
    }

    private static let step4Suffixes: [StaticString] = [
        // "ement" before "ment" before "ent": the longest match decides.
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
        "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize",
    ]

    private mutating func step4() {
        var best: StaticString?
        for suffix in Self.step4Suffixes where endsWith(suffix) {
            if best.map({ suffix.utf8CodeUnitCount > $0.utf8CodeUnitCount }) ?? true { best = suffix }
        }
        guard let suffix = best else { return }
        let length = stemLength(without: suffix)
        guard measure(length) > 1 else { return }
        if endsWith("ion") {
            // "ion" goes only after s or t ("adoption" → "adopt", but "onion" stays).
            guard length > 0, letters[length - 1] == UInt8(ascii: "s") || letters[length - 1] == UInt8(ascii: "t") else {
                return
            }
        }
        letters.removeLast(suffix.utf8CodeUnitCount)
    }

    private mutating func step5() {
        // 5a: drop a final e after a long stem, or after m = 1 unless the stem ends cvc ("cease" keeps it).
        if endsWith("e") {
            let length = letters.count - 1
            let m = measure(length)
            if m > 1 || (m == 1 && !endsCVC(length)) {
                letters.removeLast()
            }
        }
        // 5b: "controll" → "control", "roll" stays.
        if measure(letters.count) > 1, endsWithDoubleConsonant(letters.count), letters.last == UInt8(ascii: "l") {
            letters.removeLast()
        }
    }
}
