import Foundation

public enum VerificationStatus: String, Sendable, Codable, CaseIterable { case official, impersonation, unknown }

public struct VerificationMatch: Sendable, Equatable, Codable {
    /// The kind of the official entry (an address at an official site's domain matches a `.url`).
    public var kind: OfficialChannelKind
    /// The official value it matched or resembles, as listed.
    public var official: String
    public var reason: Reason

    public init(kind: OfficialChannelKind, official: String, reason: Reason) {
        self.kind = kind
        self.official = official
        self.reason = reason
    }

    public enum Reason: String, Sendable, Codable {
        case exact  // the official value itself
        case subdomain  // a host under an official host (help.wallet.example.com) → official
        case officialDomain  // an email address at an official url host's domain → official
        case homoglyph  // same skeleton, different characters (wаllet with Cyrillic а, wa11et, kefub0t)
        case mixedScript  // one label/handle mixes scripts (Latin + Cyrillic/Greek)
        case similar  // small edit distance to an official value or label
        case extraLabel  // support-wallet.example.com, wallet.example.com.evil.io, wallet-example.com
        case decoratedHandle  // official handle plus digits, "_", "support"/"admin"/… in front or behind

        /// Whether the reason makes the value official rather than a lookalike.
        public var isOfficial: Bool { self == .exact || self == .subdomain || self == .officialDomain }

        /// Most specific first: the order matches are listed in.
        var rank: Int {
            switch self {
            case .exact: 0
            case .subdomain: 1
            case .officialDomain: 2
            case .homoglyph: 3
            case .mixedScript: 4
            case .decoratedHandle: 5
            case .extraLabel: 6
            case .similar: 7
            }
        }
    }
}

public struct Verification: Sendable, Equatable {
    public var status: VerificationStatus
    /// Empty for unknown. For official: the official matches first, then lookalike matches of the
    /// *other* readings ("@kefuwallet" can be the official X account and, read as Telegram, resemble
    /// the official bot); each match's `kind` says which channel it is about.
    public var matches: [VerificationMatch]
    /// The candidate readings of the pasted value (for the log).
    public var checked: [OfficialChannel]

    public init(status: VerificationStatus, matches: [VerificationMatch], checked: [OfficialChannel]) {
        self.status = status
        self.matches = matches
        self.checked = checked
    }
}

/// Is a pasted value one of the operator's channels, a lookalike of one, or neither?
///
/// Official wins: a candidate equal to an official of its kind; for a url, a host under an
/// official host; for an email, exactly an official address, or any address whose domain equals
/// or is under an official url host.
///
/// Otherwise it is an impersonation if any candidate resembles an official:
/// - Hosts (a url's host; an email's domain, against official url hosts and official addresses'
///   domains, the local part not counting): the same skeleton (`Homoglyphs`), also with labels in
///   front; the official's labels (split on "." and "-") appearing in a row inside the value's
///   with extra labels before or after (support-wallet.example.com, wallet.example.com.evil.io,
///   wallet-example.com), also run together (walletexample.com, "www" glued on: wwwkefu.example),
///   or its distinctive labels with more around them (wallet-example-help.net);
///   the distinctive part at edit distance ≤ 1 (≤ 2 when a distinctive label of the official has 8+
///   characters; a swapped top-level domain is distance 0). Distinctive = the labels minus the last
///   one and minus generic words (`genericLabels`); the whole host if nothing remains.
///   Not judged: a parent of an official host (example.com for wallet.example.com), and a sibling
///   that differs only in generic labels under the official's own name (api.kefu.io for
///   app.kefu.io): the operator probably runs those but did not list them. A lookalike is still one.
/// - Email addresses: also the same skeleton as an official address (supp0rt@… at its domain).
/// - Telegram against Telegram officials, X against X ("@name" is both): the same skeleton →
///   homoglyph; the same core after stripping decorations (digits, "_", `decorations` words,
///   repeatedly, at either end) → decoratedHandle; edit distance ≤ 1 (≤ 2 from 8 characters) of
///   handle or core → similar.
/// - Phones: the same length with one digit different → similar.
/// - A label or handle mixing scripts reports `mixedScript` when it resembles in another way.
/// - Short names (an official core or distinctive part under 4 characters) match only exactly or
///   by skeleton: at that length everything is a small edit away.
/// - A suspect reading (`PastedValue.suspects`) is never official: equal to an official it is a
///   homoglyph when the text hid something (a zero-width character, a host a browser refuses), and
///   nothing when its link shows something else than the account it names (an X post).
///
/// One match per official entry, its most specific reason; listed most specific first.
public enum ImpersonationRules {
    public static func verify(_ pasted: PastedValue, against officials: [OfficialChannel]) -> Verification {
        let listed = officials.map { Shaped($0, canonical: false) }
        var confirmed: [Found] = []
        var lookalikes: [Found] = []
        for candidate in pasted.candidates {
            let found = matches(candidate, listed)
            let official = found.filter(\.reason.isOfficial)
            if official.isEmpty { lookalikes += found } else { confirmed += official }
        }
        for suspect in pasted.suspects {
            lookalikes += matches(suspect.channel, listed).compactMap { found in
                // Never official: equal to one is a disguise, or (an X post) says nothing about it.
                guard found.reason.isOfficial else { return found }
                return suspect.disguised ? Found(order: found.order, official: found.official, reason: .homoglyph) : nil
            }
        }
        let matches = ranked(confirmed + lookalikes)
        let status: VerificationStatus = confirmed.isEmpty ? (matches.isEmpty ? .unknown : .impersonation) : .official
        return Verification(status: status, matches: matches, checked: pasted.candidates)
    }

    /// Words that dress a handle up as support: stripped from both ends before cores are compared.
    static let decorations = ["official", "service", "support", "admin", "help", "team", "care", "desk", "bot", "cs"]
    /// Labels that say nothing about whose host it is (and second-level suffixes like "com.cn").
    static let genericLabels: Set<String> = [
        "www", "m", "app", "api", "help", "support", "login", "mail", "official", "secure", "account", "com", "co", "net", "org",
    ]
    /// Edit distance is computed on at most this many characters.
    static let distanceCut = 64

    private struct Found {
        var order: Int
        var official: OfficialChannel
        var reason: VerificationMatch.Reason
    }

    private static func matches(_ candidate: OfficialChannel, _ listed: [Shaped]) -> [Found] {
        let candidate = Shaped(candidate, canonical: true)
        return listed.enumerated().compactMap { order, official in
            reason(candidate, official).map { Found(order: order, official: official.entry, reason: $0) }
        }
    }

    /// The best match per official entry (a list may name one twice), most specific first.
    private static func ranked(_ found: [Found]) -> [VerificationMatch] {
        var best: [Int: Found] = [:]
        for item in found {
            let key = best.first { $0.value.official == item.official }?.key ?? item.order
            if let current = best[key], current.reason.rank <= item.reason.rank { continue }
            best[key] = Found(order: key, official: item.official, reason: item.reason)
        }
        return best.values.sorted { ($0.reason.rank, $0.order) < ($1.reason.rank, $1.order) }
            .map { VerificationMatch(kind: $0.official.kind, official: $0.official.value, reason: $0.reason) }
    }

    private static func reason(_ candidate: Shaped, _ official: Shaped) -> VerificationMatch.Reason? {
        switch (candidate.shape, official.shape) {
        case (.host(let value), .host(let host)):
            if value.host == host.host { return .exact }
            if value.host.hasSuffix("." + host.host) { return .subdomain }
            return resemblance(value, host)
        case (.email(_, let value), .host(let host)):
            if value.host == host.host || value.host.hasSuffix("." + host.host) { return .officialDomain }
            return resemblance(value, host)
        case (.email(let address, let value), .email(let officialAddress, let host)):
            if address == officialAddress { return .exact }
            // `support+c-…@`: a tag on an official mailbox (Kefu's own reply addresses) reaches
            // that mailbox, so it is ours; only the operator can receive there.
            if let plus = address.firstIndex(of: "+"), let at = address.lastIndex(of: "@"), plus < at,
                String(address[..<plus]) + String(address[at...]) == officialAddress
            {
                return .exact
            }
            if Homoglyphs.skeleton(address) == Homoglyphs.skeleton(officialAddress) { return .homoglyph }
            return resemblance(value, host)
        case (.handle(let kind, let value), .handle(let officialKind, let handle)) where kind == officialKind:
            return resemblance(value, handle)
        case (.phone(let value), .phone(let number)):
            if value == number { return .exact }
            let differing = zip(value, number).filter { $0 != $1 }.count
            return value.count == number.count && differing == 1 ? .similar : nil
        default:
            return nil
        }
    }

    // MARK: Hosts

    /// How a value host resembles an official one, or nil. Equal hosts and hosts under the
    /// official one are the caller's (official, or — for an address's domain — nothing to say).
    private static func resemblance(_ value: HostShape, _ official: HostShape) -> VerificationMatch.Reason? {
        if value.host == official.host || value.host.hasSuffix("." + official.host) || official.host.hasSuffix("." + value.host) {
            return nil
        }
        if value.skeleton == official.skeleton || value.skeleton.hasSuffix("." + official.skeleton) { return .homoglyph }
        if isSibling(value, official) { return nil }
        var found: VerificationMatch.Reason?
        if holdsLabels(value.tokens, official.tokens) || holdsLabels(value.skeletonTokens, official.skeletonTokens) {
            found = .extraLabel
        } else if let limit = official.distanceLimit {
            // The brand with more around it: wallet-example-help.net for wallet.example.com.
            let body = Array(value.tokens.dropLast()), skeletonBody = Array(value.skeletonTokens.dropLast())
            let wrapped =
                (body.count > official.distinctiveTokens.count && containsRun(body, official.distinctiveTokens))
                || (skeletonBody.count > official.distinctiveTokens.count && containsRun(skeletonBody, official.skeletonDistinctiveTokens))
            if wrapped {
                found = .extraLabel
            } else if distance(value.distinctive, official.distinctive, within: limit)
                || distance(value.skeletonDistinctive, official.skeletonDistinctive, within: limit)
            {
                found = .similar
            }
        }
        return found != nil && value.mixesScripts ? .mixedScript : found
    }

    /// Both under a common parent that holds every distinctive label of the official host: the
    /// value differs only in generic labels (api.kefu.io next to app.kefu.io).
    private static func isSibling(_ value: HostShape, _ official: HostShape) -> Bool {
        let common = zip(value.labels.reversed(), official.labels.reversed()).prefix { $0 == $1 }.count
        guard common >= 2, let first = official.distinctiveIndexes.first else { return false }
        return first >= official.labels.count - common
    }

    /// Whether the value holds all the official's labels in a row, also once taken apart where they
    /// were run together: "www" glued in front (wwwkefu.example), a dot left out (walletexample.com).
    private static func holdsLabels(_ value: [String], _ official: [String]) -> Bool {
        containsRun(value, official) || unglued(value, official).map { containsRun($0, official) } == true
    }

    /// The tokens with glued ones taken apart, or nil when none is (the usual case: no copy made).
    static func unglued(_ tokens: [String], _ official: [String]) -> [String]? {
        let parts = tokens.indices.map { apart(tokens[$0], first: $0 == 0, official) }
        guard parts.contains(where: { $0 != nil }) else { return nil }
        return zip(tokens, parts).flatMap { token, apart in apart ?? [token] }
    }

    /// A token as the tokens glued into it: "www" in front of the first, or official tokens run together.
    private static func apart(_ token: String, first: Bool, _ official: [String]) -> [String]? {
        let glued = first && token.utf8.count > 3 && token.hasPrefix("www")
        let rest = glued ? token.dropFirst(3) : token[...]
        let joined = joinedRun(rest, official)
        guard glued || joined != nil else { return nil }
        return (glued ? ["www"] : []) + (joined ?? [String(rest)])
    }

    /// The run of two or more consecutive `official` tokens that `token` spells, if any.
    private static func joinedRun(_ token: Substring, _ official: [String]) -> [String]? {
        // Bytes, not characters: hosts are NFKC, so a label never starts inside another's character.
        let bytes = token.utf8
        for start in official.indices where bytes.count > official[start].utf8.count && bytes.starts(with: official[start].utf8) {
            var rest = bytes.dropFirst(official[start].utf8.count)
            var end = start + 1
            while !rest.isEmpty, end < official.count, rest.starts(with: official[end].utf8) {
                rest = rest.dropFirst(official[end].utf8.count)
                end += 1
            }
            if rest.isEmpty, end - start >= 2 { return Array(official[start..<end]) }
        }
        return nil
    }

    /// Whether `needle` appears in `haystack` as consecutive elements.
    static func containsRun(_ haystack: [String], _ needle: [String]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    // MARK: Handles

    private static func resemblance(_ value: HandleShape, _ official: HandleShape) -> VerificationMatch.Reason? {
        if value.handle == official.handle { return .exact }
        if value.skeleton == official.skeleton { return .homoglyph }
        guard let limit = official.coreLimit else { return nil }
        var found: VerificationMatch.Reason?
        if value.skeletonCore == official.skeletonCore && value.core != official.core {
            found = .homoglyph  // decorated, and the name itself a lookalike (kefü_help)
        } else if value.core == official.core || value.skeletonCore == official.skeletonCore {
            found = .decoratedHandle
        } else if distance(value.handle, official.handle, within: official.handleLimit)
            || distance(value.skeleton, official.skeleton, within: official.handleLimit)
            || distance(value.core, official.core, within: limit) || distance(value.skeletonCore, official.skeletonCore, within: limit)
        {
            found = .similar
        }
        return found != nil && found != .homoglyph && value.mixesScripts ? .mixedScript : found
    }

    /// The handle with decorations stripped from both ends, repeatedly; never down to nothing.
    static func core(_ handle: String) -> String {
        var core = Substring(handle)
        var changed = true
        while changed {
            changed = false
            while core.count > 1, let first = core.first, first == "_" || first.isNumber { core.removeFirst(); changed = true }
            while core.count > 1, let last = core.last, last == "_" || last.isNumber { core.removeLast(); changed = true }
            for word in decorations where core.count > word.count {
                if core.hasPrefix(word) {
                    core.removeFirst(word.count)
                    changed = true
                } else if core.hasSuffix(word) {
                    core.removeLast(word.count)
                    changed = true
                }
            }
        }
        return String(core)
    }

    // MARK: Distance

    /// Whether the optimal-string-alignment distance (insert, delete, substitute, swap two
    /// neighbours) is at most `limit`, on the first `distanceCut` characters of each.
    static func distance(_ a: String, _ b: String, within limit: Int) -> Bool {
        // The banded table of `EditDistance` (ASCII compared as bytes) keeps this 64 × (2·limit + 1).
        EditDistance.distance(String(a.prefix(distanceCut)), String(b.prefix(distanceCut)), limit: limit) != nil
    }

    /// ≤ 1, or ≤ 2 from 8 characters; nil under 4 (short names match only exactly or by skeleton).
    static func limit(forLength length: Int) -> Int? {
        length < 4 ? nil : (length >= 8 ? 2 : 1)
    }
}

/// A channel with what comparing it needs, computed once per check: each official entry, and each
/// reading of the pasted value (not once per pair).
private struct Shaped {
    enum Shape {
        case host(HostShape)
        case email(String, HostShape)
        case handle(OfficialChannelKind, HandleShape)
        case phone(String)
    }

    var entry: OfficialChannel
    var shape: Shape

    /// `canonical`: the value is already canonical (a reading); an entry is read again in case one
    /// was stored as typed.
    init(_ entry: OfficialChannel, canonical: Bool) {
        self.entry = entry
        let value = canonical ? entry.value : OfficialChannel.canonical(kind: entry.kind, entry.value) ?? entry.value.lowercased()
        switch entry.kind {
        case .url: shape = .host(HostShape(value))
        case .email: shape = .email(value, HostShape(value.split(separator: "@").last.map(String.init) ?? value))
        case .telegram, .x: shape = .handle(entry.kind, HandleShape(value))
        case .phone: shape = .phone(value)
        }
    }
}

private struct HostShape {
    var host: String
    var labels: [String]
    var tokens: [String]
    var skeleton: String
    var skeletonTokens: [String]
    /// Indexes into `labels` of the distinctive ones.
    var distinctiveIndexes: [Int]
    var distinctive: String
    var skeletonDistinctive: String
    var distinctiveTokens: [String]
    var skeletonDistinctiveTokens: [String]
    var mixesScripts: Bool
    /// For "similar": from the longest distinctive label; nil when the distinctive part is short.
    var distanceLimit: Int?

    init(_ host: String) {
        self.host = host
        let labels = host.utf8.split(separator: UInt8(ascii: ".")).map { String(decoding: $0, as: UTF8.self) }
        self.labels = labels
        tokens = Self.tokens(host)
        skeleton = Homoglyphs.skeleton(host)
        skeletonTokens = Self.tokens(skeleton)
        let body = labels.indices.dropLast().filter { !ImpersonationRules.genericLabels.contains(labels[$0]) }
        let indexes = body.isEmpty ? Array(labels.indices) : body
        let parts = indexes.map { labels[$0] }
        let distinctive = parts.joined(separator: ".")
        distinctiveIndexes = indexes
        self.distinctive = distinctive
        skeletonDistinctive = Homoglyphs.skeleton(distinctive)
        distinctiveTokens = Self.tokens(distinctive)
        skeletonDistinctiveTokens = Self.tokens(skeletonDistinctive)
        mixesScripts = labels.contains { Homoglyphs.mixesScripts($0) }
        let longest = parts.map(\.count).max() ?? 0
        distanceLimit = distinctive.count < 4 ? nil : (longest >= 8 ? 2 : 1)
    }

    /// Split on "." and "-" as bytes: far cheaper than by character, and the same on a valid host
    /// (no label starts with a combining mark).
    private static func tokens(_ text: String) -> [String] {
        text.utf8.split(whereSeparator: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }).map { String(decoding: $0, as: UTF8.self) }
    }
}

private struct HandleShape {
    var handle: String
    var skeleton: String
    var core: String
    var skeletonCore: String
    var mixesScripts: Bool
    var handleLimit: Int
    /// nil for a short core: then only exact and skeleton matches count.
    var coreLimit: Int?

    init(_ handle: String) {
        self.handle = handle
        skeleton = Homoglyphs.skeleton(handle)
        core = ImpersonationRules.core(handle)
        skeletonCore = ImpersonationRules.core(skeleton)
        mixesScripts = Homoglyphs.mixesScripts(handle)
        handleLimit = ImpersonationRules.limit(forLength: handle.count) ?? 0
        coreLimit = ImpersonationRules.limit(forLength: core.count)
    }
}
