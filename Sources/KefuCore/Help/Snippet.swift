import Foundation

// MARK: - Snippets

/// A piece of an article shown under a search result, with the query's matches marked.
public struct Snippet: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        public var text: String
        public var isMatch: Bool

        public init(text: String, isMatch: Bool) {
            self.text = text
            self.isMatch = isMatch
        }
    }

    /// The window in order; where it was cut, the first or last part carries "…".
    public var parts: [Part]

    public init(parts: [Part]) {
        self.parts = parts
    }

    /// HTML: text escaped (& < > " '), matches wrapped in <mark>…</mark>, "…" where cut.
    public var html: String {
        var html = ""
        for part in parts {
            if part.isMatch { html += "<mark>" }
            html += HTMLEscaping.escape(part.text)
            if part.isMatch { html += "</mark>" }
        }
        return html
    }
}

extension SearchText {
    /// A window of about `length` characters of `text` (the ORIGINAL text, not normalised: the customer
    /// sees what was written, e.g. traditional query 密碼 highlights 密码 in the simplified original),
    /// around the first match of the query, with every match in the window marked.
    /// Matching is on normalised characters: a Latin word of the text matches when its stem equals
    /// one of the query's stems; CJK: the longest of the query's CJK runs that occurs, else its bigrams,
    /// else single characters (for a one-character query). No match: the start of the text.
    /// Cut at whitespace/punctuation where possible; collapse whitespace runs to one space.
    public static func snippet(of text: String, for query: SearchQuery, length: Int = 160) -> Snippet {
        SnippetBuilder(text: text).snippet(for: query, length: length)
    }
}

/// The text as characters (whitespace collapsed), its normalised scalars, and which character
/// each scalar came from, so matches found on normalised text mark the original.
private struct SnippetBuilder {
    var characters: [Character] = []
    var scalars: [Unicode.Scalar] = []
    /// For each normalised scalar, the index of the character it came from.
    var origin: [Int] = []

    init(text: String) {
        var pendingSpace = false
        for character in text {
            if character.isWhitespace {
                pendingSpace = true
                continue
            }
            if pendingSpace && !characters.isEmpty { characters.append(" ") }
            pendingSpace = false
            characters.append(character)
        }
        scalars.reserveCapacity(characters.count)
        origin.reserveCapacity(characters.count)
        var afterLatin = false
        for (index, character) in characters.enumerated() {
            SearchNormalizer.append(character, to: &scalars, afterLatin: &afterLatin)
            while origin.count < scalars.count { origin.append(index) }
        }
    }

    func snippet(for query: SearchQuery, length: Int) -> Snippet {
        guard length > 0, !characters.isEmpty else { return Snippet(parts: []) }
        let marked = matches(for: query)
        let first = marked.firstIndex(of: true)
        let (start, end) = window(around: first, length: length)
        return parts(start: start, end: end, marked: marked)
    }

    /// Which characters belong to a match of the query.
    private func matches(for query: SearchQuery) -> [Bool] {
        var marked = [Bool](repeating: false, count: characters.count)
        func mark(_ range: Range<Int>) {
            guard let lower = range.first, let upper = range.last else { return }
            for index in origin[lower]...origin[upper] { marked[index] = true }
        }

        let stems = Set(query.words.map(\.stem))
        SearchScanner.scan(scalars) { token in
            guard token.kind == .word, !stems.isEmpty,
                  let word = SearchScanner.word(scalars, token.range),
                  stems.contains(EnglishStemmer.stem(word))
            else { return }
            mark(token.range)
        }

        // Longest runs first: a run found whole needs none of its bigrams.
        let runs = query.cjkRuns.map { SearchNormalizer.scalars($0) }.sorted { $0.count > $1.count }
        for run in runs where !run.isEmpty {
            let whole = occurrences(of: run[...])
            if !whole.isEmpty || run.count == 1 {
                whole.forEach(mark)
                continue
            }
            for i in 0..<(run.count - 1) {
                occurrences(of: run[i..<(i + 2)]).forEach(mark)
            }
        }
        return marked
    }

    /// Ranges of normalised scalars equal to `needle` (short: a query run or a bigram).
    private func occurrences(of needle: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        guard let head = needle.first, needle.count <= scalars.count else { return [] }
        var found: [Range<Int>] = []
        var i = 0
        let last = scalars.count - needle.count
        while i <= last {
            if scalars[i] == head && scalars[i..<(i + needle.count)].elementsEqual(needle) {
                found.append(i..<(i + needle.count))
                i += needle.count
            } else {
                i += 1
            }
        }
        return found
    }

    /// Characters [start, end) to show: about `length` of them, starting a little before the first
    /// match, moved to word or clause boundaries when one is near.
    private func window(around first: Int?, length: Int) -> (Int, Int) {
        let count = characters.count
        guard count > length else { return (0, count) }
        let slack = max(length / 8, 1)
        let anchor = first ?? 0
        var start = first == nil ? 0 : max(0, anchor - length / 4)
        var end = min(count, start + length)
        if end == count { start = max(0, count - length) }

        if start > 0 && !isCleanCut(start) {
            // Prefer losing a few characters of lead-in over cutting a word in half.
            if let forward = (start...min(anchor, start + slack)).first(where: isCleanCut) {
                start = forward
            } else if let backward = stride(from: start, through: max(1, start - slack), by: -1).first(where: isCleanCut) {
                start = backward
            }
        }
        end = min(count, start + length)
        if end < count && !isCleanCut(end) {
            let lowest = max(anchor + 1, end - slack)
            if lowest <= end, let backward = stride(from: end, through: lowest, by: -1).first(where: isCleanCut) {
                end = backward
            }
        }
        return (start, end)
    }

    /// A cut before `index` that starts or ends a word or clause: after a space or punctuation
    /// (keeping the punctuation that closes a clause), or before a space.
    private func isCleanCut(_ index: Int) -> Bool {
        guard index > 0 && index < characters.count else { return true }
        return isBoundary(characters[index - 1]) || characters[index].isWhitespace
    }

    private func isBoundary(_ character: Character) -> Bool {
        character.isWhitespace || character.isPunctuation || character.isSymbol
    }

    private func parts(start: Int, end: Int, marked: [Bool]) -> Snippet {
        var from = start
        var to = end
        while from < to && characters[from].isWhitespace { from += 1 }
        while to > from && characters[to - 1].isWhitespace { to -= 1 }

        var parts: [Snippet.Part] = []
        var index = from
        while index < to {
            let isMatch = marked[index]
            var text = ""
            while index < to && marked[index] == isMatch {
                text.append(characters[index])
                index += 1
            }
            parts.append(Snippet.Part(text: text, isMatch: isMatch))
        }
        if start > 0 {
            if let head = parts.first, !head.isMatch {
                parts[0].text = "…" + head.text
            } else {
                parts.insert(Snippet.Part(text: "…", isMatch: false), at: 0)
            }
        }
        if end < characters.count {
            if let tail = parts.last, !tail.isMatch {
                parts[parts.count - 1].text = tail.text + "…"
            } else {
                parts.append(Snippet.Part(text: "…", isMatch: false))
            }
        }
        return Snippet(parts: parts)
    }
}
