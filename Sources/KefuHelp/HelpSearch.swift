import Foundation
import KefuCore
import KefuSafety
import KefuStore

/// What a search found: articles best first, each once, in the reader's language where it
/// matched there, with a highlighted snippet; and the corrected query when words were misspelt.
public struct HelpSearchResult: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var articleId: String
        public var slug: String
        public var locale: HelpLocale
        public var title: String
        public var snippet: Snippet
        public var categoryId: String?
    }

    public var items: [Item]
    public var didYouMean: String?
}

/// Help search: the query analysed in Swift exactly as articles were indexed (so Chinese,
/// traditional characters and English stems meet), every term required first and any term
/// after that, English typos corrected against the words live articles use.
public struct HelpSearch: Sendable {
    let store: any HelpSearchRepository

    public init(store: any HelpSearchRepository) {
        self.store = store
    }

    public static let maxQuery = 200
    /// Rows read per search: enough for both languages of the best articles.
    static let candidates = 40

    public func search(_ text: String, locale: HelpLocale, limit: Int = 10, recordMiss: Bool = true) async throws -> HelpSearchResult {
        // The limit is on what was sent (as openapi.yaml states it), before trimming.
        if text.unicodeScalars.count > Self.maxQuery { throw HelpError.invalid(ValidationFailure("q", .tooLong(max: Self.maxQuery))) }
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var query = SearchText.query(text)
        guard !query.isEmpty else { return HelpSearchResult(items: [], didYouMean: nil) }
        var didYouMean: String?
        if let corrected = try await corrected(text, query) {
            didYouMean = corrected
            query = SearchText.query(corrected)
        }
        // Titles first: they rank above bodies anyway and are cheap to rank, so a common word
        // does not make the database rank every body that mentions it.
        var hits = try await store.searchHelp(HelpSearchRequest(terms: query.terms, match: .all, titleOnly: true, limit: Self.candidates))
        if Set(hits.map(\.articleId)).count < limit {
            let seen = Set(hits.map { "\($0.articleId) \($0.locale.rawValue)" })
            hits += try await store.searchHelp(HelpSearchRequest(terms: query.terms, match: .all, limit: Self.candidates))
                .filter { !seen.contains("\($0.articleId) \($0.locale.rawValue)") }
        }
        // Nothing holds every term: articles holding some of them, titles first again.
        if hits.isEmpty, query.terms.count > 1 {
            hits = try await store.searchHelp(HelpSearchRequest(terms: query.terms, match: .any, titleOnly: true, limit: Self.candidates))
            if hits.isEmpty {
                hits = try await store.searchHelp(HelpSearchRequest(terms: query.terms, match: .any, limit: Self.candidates))
            }
        }
        let items = Self.rank(hits, query: query, locale: locale).prefix(max(1, limit)).map { hit in
            HelpSearchResult.Item(
                articleId: hit.articleId, slug: hit.slug, locale: hit.locale, title: hit.title,
                snippet: Self.snippet(of: hit.plainText, for: query), categoryId: hit.categoryId)
        }
        if items.isEmpty, recordMiss {
            // What people search is text they wrote (the widget searches what a customer types):
            // a secret in it is not kept among the misses either.
            // Checked after normalizing too: normalizing folds full-width letters and drops
            // invisible characters, which could make a phrase out of a query that passed.
            let kept = SecretGuard.standard.redact(SearchText.normalize(SecretGuard.standard.redact(text).text)).text
            try await store.recordHelpSearchMiss(query: kept.storable, locale: locale.rawValue)
        }
        return HelpSearchResult(items: Array(items), didYouMean: items.isEmpty && didYouMean != nil ? nil : didYouMean)
    }

    /// The snippet around the first match, read from a window of the text near it: an article
    /// can be long, and analysing all of it for ten results would cost more than the search.
    static func snippet(of text: String, for query: SearchQuery, length: Int = 160) -> Snippet {
        let window = 600
        guard text.count > window * 2 else { return SearchText.snippet(of: text, for: query, length: length) }
        // Where a match probably is: a CJK run or bigram, or a word starting with a query stem.
        let needles = query.cjkRuns.flatMap { run -> [String] in
            let characters = Array(run)
            return [run] + (characters.count > 1 ? (0..<(characters.count - 1)).map { String(characters[$0...($0 + 1)]) } : [])
        } + query.words.map(\.stem).filter { $0.count >= 2 }
        var first: String.Index?
        for needle in needles {
            if let found = text.range(of: needle, options: [.caseInsensitive]), first.map({ found.lowerBound < $0 }) ?? true { first = found.lowerBound }
        }
        let anchor = first.map { text.distance(from: text.startIndex, to: $0) } ?? 0
        let start = max(0, anchor - window / 3)
        let lower = text.index(text.startIndex, offsetBy: start)
        let upper = text.index(lower, offsetBy: window, limitedBy: text.endIndex) ?? text.endIndex
        var snippet = SearchText.snippet(of: String(text[lower..<upper]), for: query, length: length)
        if start > 0, snippet.parts.first?.text.hasPrefix("…") == false { snippet.parts.insert(Snippet.Part(text: "…", isMatch: false), at: 0) }
        if upper < text.endIndex, snippet.parts.last?.text.hasSuffix("…") == false { snippet.parts.append(Snippet.Part(text: "…", isMatch: false)) }
        return snippet
    }

    /// Searches that found nothing, most asked first (for the content team).
    public func misses(limit: Int = 100) async throws -> [HelpSearchMiss] { try await store.helpSearchMisses(limit: limit) }

    /// What became of the articles the widget offered since `since`.
    public func deflections(since: Date) async throws -> [HelpDeflectionOutcome: Int] { try await store.helpDeflectionCounts(since: since) }

    public func recordDeflection(articleId: String, widgetSessionId: String?, outcome: HelpDeflectionOutcome) async throws {
        try await store.recordHelpDeflection(articleId: articleId, widgetSessionId: widgetSessionId, outcome: outcome)
    }

    /// One row per article (the reader's language when it matched there), ordered by what both
    /// databases see alike: how many of the query's terms the title holds, then whether it holds them as a
    /// phrase, then the title most
    /// about the query (fewest other words, in steps of a few), then the database's relevance (title weighted above
    /// body), then votes and recency as the database sorted them.
    static func rank(_ hits: [HelpSearchHit], query: SearchQuery, locale: HelpLocale) -> [HelpSearchHit] {
        var order: [String] = []
        var chosen: [String: HelpSearchHit] = [:]
        for hit in hits {
            if let existing = chosen[hit.articleId] {
                if existing.locale != locale && hit.locale == locale { chosen[hit.articleId] = hit }
                continue
            }
            order.append(hit.articleId)
            chosen[hit.articleId] = hit
        }
        let wanted = Set(query.terms)
        var scored: [(hit: HelpSearchHit, inTitle: Int, phrase: Int, length: Int, position: Int)] = []
        for (position, id) in order.enumerated() {
            guard let hit = chosen[id] else { continue }
            let terms = SearchText.indexTerms(hit.title)
            let phrase = query.terms.count > 1 && contains(SearchText.query(hit.title).terms, run: query.terms) ? 1 : 0
            // Titles within a few words of each other count as equally focused: the body's
            // relevance decides between them.
            scored.append((hit, wanted.intersection(terms).count, phrase, terms.count / 6, position))
        }
        scored.sort { ($1.inTitle, $1.phrase, $0.length, $0.position) < ($0.inTitle, $0.phrase, $1.length, $1.position) }
        return scored.map(\.hit)
    }

    /// Whether `run` occurs in `terms` in order and side by side (the query as a phrase).
    static func contains(_ terms: [String], run: [String]) -> Bool {
        guard !run.isEmpty, terms.count >= run.count else { return false }
        return (0...(terms.count - run.count)).contains { start in terms[start..<(start + run.count)].elementsEqual(run) }
    }

    /// The query with each unknown English word replaced by the closest word live articles use,
    /// or nil when every word is known or nothing is close.
    func corrected(_ text: String, _ query: SearchQuery) async throws -> String? {
        let surfaces = Array(Set(query.words.map(\.surface).filter { $0.count >= 4 && $0.allSatisfy(\.isLetter) }))
        guard !surfaces.isEmpty else { return nil }
        let known = try await store.knownHelpWords(surfaces)
        var replacements: [String: String] = [:]
        for word in surfaces where !known.contains(word) {
            let limit = word.count >= 8 ? 2 : 1
            var best: (word: String, distance: Int, documents: Int)?
            for candidate in try await store.helpWords(lengths: (word.count - limit)...(word.count + limit), near: word, limit: 5_000) {
                guard let distance = EditDistance.distance(word, candidate.word, limit: limit), distance > 0 else { continue }
                // Closest first, then the word more articles use.
                if let current = best, (current.distance, -current.documents) <= (distance, -candidate.documents) { continue }
                best = (candidate.word, distance, candidate.documents)
            }
            if let best { replacements[word] = best.word }
        }
        guard !replacements.isEmpty else { return nil }
        let normalized = SearchText.normalize(text)
        // Whole runs of letters are replaced, wherever punctuation sits around them.
        var corrected = ""
        var word = ""
        func flush() {
            corrected += replacements[word] ?? word
            word = ""
        }
        for character in normalized {
            if character.isLetter {
                word.append(character)
            } else {
                flush()
                corrected.append(character)
            }
        }
        flush()
        let tidy = corrected.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return tidy == normalized.split(whereSeparator: \.isWhitespace).joined(separator: " ") ? nil : tidy
    }
}
