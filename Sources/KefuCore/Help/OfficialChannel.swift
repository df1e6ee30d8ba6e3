import Foundation

/// The kinds of channel an operator lists as its own, and a customer may ask about.
public enum OfficialChannelKind: String, Sendable, Codable, CaseIterable { case url, email, telegram, x, phone }

/// One entry of the operator's list, canonical.
public struct OfficialChannel: Sendable, Equatable, Codable {
    public var kind: OfficialChannelKind
    /// Canonical: url → lowercase host (Unicode kept, "xn--" labels decoded, no "www."); email →
    /// lowercase address; telegram/x → lowercase handle without "@"; phone → "+" and digits.
    public var value: String

    public init(kind: OfficialChannelKind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// Canonical form of what an admin typed for that kind, or nil when it is not one
    /// (e.g. "https://Wallet.Example.com/path" → "wallet.example.com"; "@KefuBot" or "t.me/KefuBot" or
    /// "https://t.me/KefuBot" → "kefubot"; "x.com/kefu" / "twitter.com/kefu" / "@kefu" → "kefu";
    /// "+86 138-0013-8000" → "+8613800138000"; email validated roughly (one @, dot in domain)).
    ///
    /// Full-width text typed with a Chinese IME ("＠ＫｅｆｕＢｏｔ") reads as its ASCII form, as
    /// browsers and the apps themselves read it; a host is mapped as a browser maps it (NFKC). A
    /// phone number needs its country code ("+" or "00"): a national number would silently become
    /// another country's. An entry holding an invisible character is none.
    public static func canonical(kind: OfficialChannelKind, _ raw: String) -> String? {
        guard let text = ChannelText.prepared(raw), !text.concealed else { return nil }
        switch kind {
        case .url: return ChannelText.link(text.raw).flatMap { $0.valid ? $0.host : nil }
        case .email: return ChannelText.email(text.folded)
        case .telegram, .x:
            if let handle = ChannelText.handle(text.folded[...]) { return handle }
            let social = ChannelText.social(text.raw, ChannelText.link(text.raw))
            guard let social, social.kind == kind, case .account(let handle) = social.names else { return nil }
            return handle
        case .phone: return ChannelText.phone(text.folded, requireCountryCode: true)
        }
    }
}

/// What a customer pasted, read as every kind it could be: "@kefu" could be Telegram or X;
/// "t.me/x" is Telegram; "https://x.com/y" is X; "a@b.c" is email; "wallet.example.com" or any
/// http(s) URL is a url; "+1 555 0100" / digits (7–15) is a phone. Empty/garbage → [].
///
/// Also read: a bare handle without "@" (Telegram and X), "Name <a@b.c>", "mailto:", "tel:",
/// "tg://resolve?domain=…", "name.t.me", "t.me/s/name". Digits without "+" are read as an
/// international number (as wa.me links write them). A link is split where a browser splits it
/// (ASCII separators only, "." and ".." segments resolved). A Telegram or X link that names no
/// account (an invite link, a search, another tg:// action) gives nothing to check. Over 512
/// characters, or any control or bidi character → [].
///
/// Some readings are only compared for resemblance (`suspects`), never official: a value with a
/// zero-width character or soft hyphen (dropped, then judged), an http(s) URL whose host a browser
/// would refuse (a full-width "／" kept in it), and a link that shows something other than the
/// account it names (an X post, a t.me path after the name).
public struct PastedValue: Sendable, Equatable {
    public var raw: String
    /// Canonical per plausible kind, in `OfficialChannelKind` order.
    public var candidates: [OfficialChannel]
    /// Readings compared for resemblance only.
    var suspects: [Suspect]

    public init(_ raw: String) {
        self.raw = raw
        let readings = ChannelText.prepared(raw).map(Self.readings) ?? Readings()
        candidates = readings.candidates
        suspects = readings.suspects
    }

    /// A reading that can resemble an official channel but never be one.
    struct Suspect: Sendable, Equatable {
        var channel: OfficialChannel
        /// Whether equal to an official is a disguise (the text hid something: a homoglyph) rather
        /// than nothing to say (an X post link: the post is anyone's, whatever name is before it).
        var disguised: Bool
    }

    private struct Readings {
        var candidates: [OfficialChannel] = []
        var suspects: [Suspect] = []

        static func of(_ kind: OfficialChannelKind, _ value: String) -> Readings {
            Readings(candidates: [OfficialChannel(kind: kind, value: value)])
        }
    }

    private static func readings(_ text: ChannelText.Prepared) -> Readings {
        let read = readings(raw: text.raw, folded: text.folded)
        // What an invisible character hid is judged, but it never passes as the official value.
        guard text.concealed else { return read }
        return Readings(suspects: read.candidates.map { Suspect(channel: $0, disguised: true) } + read.suspects)
    }

    private static func readings(raw: Substring, folded: String) -> Readings {
        if let phone = ChannelText.phone(folded, requireCountryCode: false) { return .of(.phone, phone) }
        if let email = ChannelText.email(folded) { return .of(.email, email) }
        // "@name", or a bare word that could be one (at least one letter: "2024" is not a handle).
        if let handle = ChannelText.handle(folded[...]), folded.hasPrefix("@") || handle.contains(where: \.isLetter) {
            return Readings(candidates: [OfficialChannel(kind: .telegram, value: handle), OfficialChannel(kind: .x, value: handle)])
        }
        let link = ChannelText.link(raw)
        if let social = ChannelText.social(raw, link) {
            switch social.names {
            case .account(let handle): return .of(social.kind, handle)
            case .resembles(let handle):
                return Readings(suspects: [Suspect(channel: OfficialChannel(kind: social.kind, value: handle), disguised: false)])
            case .nothing: return Readings()
            }
        }
        guard let link else { return Readings() }
        let host = OfficialChannel(kind: .url, value: link.host)
        return link.valid ? Readings(candidates: [host]) : Readings(suspects: [Suspect(channel: host, disguised: true)])
    }
}

/// Reading typed or pasted text as a channel. Lenient about the forms people copy (schemes, paths,
/// ports, wrapping quotes, trailing punctuation), strict about what makes a value a value.
enum ChannelText {
    static let maxLength = 512

    struct Prepared {
        /// Trimmed and unwrapped, zero-width characters dropped, otherwise as typed: a URL is split
        /// from this, as a browser splits it before mapping anything.
        var raw: Substring
        /// `raw` with full-width ASCII read as ASCII: handles, addresses and numbers are read from this.
        var folded: String
        /// Whether a zero-width character or soft hyphen was dropped.
        var concealed: Bool
    }

    /// Nil when too long, empty or holding control/bidi characters.
    static func prepared(_ raw: String) -> Prepared? {
        // Bytes first, so a huge paste is refused without counting its characters.
        guard raw.utf8.count <= maxLength * 4, raw.count <= maxLength else { return nil }
        let isZeroWidth = { (scalar: Unicode.Scalar) in zeroWidth.contains(scalar.value) }
        let concealed = raw.unicodeScalars.contains(where: isZeroWidth)
        let visible = concealed ? String(String.UnicodeScalarView(raw.unicodeScalars.filter { !isZeroWidth($0) })) : raw
        let trimmed = trimming(Substring(visible), \.isWhitespace)
        // Control and bidi characters split or reorder what is shown: nothing is read through them.
        let hidden = trimmed.unicodeScalars.contains {
            $0.properties.generalCategory == .control || $0.properties.generalCategory == .format
        }
        guard !hidden else { return nil }
        let text = trimming(trimmed, wraps)
        guard !text.isEmpty else { return nil }
        return Prepared(raw: text, folded: widthFolded(text), concealed: concealed)
    }

    /// Zero-width space, non-joiner, joiner, word joiner, no-break space (BOM), soft hyphen:
    /// invisible, so a value may carry one unseen.
    private static let zeroWidth: Set<UInt32> = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD]

    /// Quotes and brackets pasted around a value, and sentence punctuation after it.
    private static let wrapping = CharacterSet(charactersIn: "\"'`<>()[]{}\u{201C}\u{201D}\u{2018}\u{2019}\u{300C}\u{300D}\u{300A}\u{300B}.,;:!?\u{3002}")

    /// Whether a character wraps a value or is a space, in any width ("，" too).
    private static func wraps(_ character: Character) -> Bool {
        let folded = character.isASCII ? String(character) : String(character).precomposedStringWithCompatibilityMapping
        return folded.unicodeScalars.allSatisfy { wrapping.contains($0) || $0.properties.isWhitespace }
    }

    private static func trimming(_ text: Substring, _ drop: (Character) -> Bool) -> Substring {
        guard let first = text.firstIndex(where: { !drop($0) }), let last = text.lastIndex(where: { !drop($0) }) else { return "" }
        return text[first...last]
    }

    /// Full-width ASCII and the ideographic space read as ASCII, canonically composed. Other
    /// compatibility forms (superscripts, mathematical letters) stay: no app reads them as ASCII.
    static func widthFolded(_ text: some StringProtocol) -> String {
        let scalars = text.unicodeScalars.map { scalar -> Unicode.Scalar in
            switch scalar.value {
            case 0xFF01...0xFF5E: Unicode.Scalar(scalar.value - 0xFEE0) ?? scalar
            case 0x3000: " "
            default: scalar
            }
        }
        let folded = String(String.UnicodeScalarView(scalars))
        return folded.utf8.allSatisfy { $0 < 0x80 } ? folded : folded.precomposedStringWithCanonicalMapping
    }

    // MARK: Handles

    /// A Telegram/X handle, "@" optional: letters (any script, so lookalikes can be checked),
    /// digits and "_", at most 64.
    static func handle(_ text: Substring) -> String? {
        let name = text.hasPrefix("@") ? text.dropFirst() : text
        guard (1...64).contains(name.count), name.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }),
            name.contains(where: { $0 != "_" })
        else { return nil }
        return name.lowercased()
    }

    /// A handle written in a link: percent-encoded, maybe full-width.
    private static func handle(percentDecoded text: Substring) -> String? {
        text.removingPercentEncoding.flatMap { handle(widthFolded($0)[...]) }
    }

    /// What a Telegram or X link names: an account, a name that is not the link's account (only a
    /// lookalike of one says anything), or nothing.
    enum Names: Equatable {
        case account(String), resembles(String), nothing
    }

    /// A Telegram or X link: the kind, and what it names. `link` is `link(text)`, read once by the caller.
    static func social(_ text: Substring, _ link: Link?) -> (kind: OfficialChannelKind, names: Names)? {
        if text.lowercased().hasPrefix("tg://") { return (.telegram, telegramDeepLink(text.unicodeScalars.dropFirst(5))) }
        guard let link, link.valid else { return nil }
        let segments = segments(link.path)
        if telegramHosts.contains(link.host) {
            // t.me/s/name is the web preview of a channel.
            let path = segments.first?.lowercased() == "s" ? segments.dropFirst() : segments[...]
            return (.telegram, names(path, features: telegramPaths, pages: { isPostID($0) }))
        }
        if link.host.hasSuffix(".t.me") {
            let name = Substring(link.host.dropLast(".t.me".count))
            return (.telegram, names(([name] + segments)[...], features: [], pages: { isPostID($0) }))
        }
        if xHosts.contains(link.host) {
            return (.x, names(segments[...], features: xPaths, pages: { xTabs.contains($0.lowercased()) }))
        }
        return nil
    }

    /// The account a path names when it is just the account or one of its `pages`; a name followed
    /// by anything else only resembles (t.me/name/joinchat/…, x.com/name/status/…).
    private static func names(_ path: ArraySlice<Substring>, features: Set<String>, pages: (Substring) -> Bool) -> Names {
        guard let first = path.first, let name = handle(percentDecoded: first), !features.contains(name) else { return .nothing }
        let rest = path.dropFirst()
        return rest.isEmpty || (rest.count == 1 && rest.allSatisfy(pages)) ? .account(name) : .resembles(name)
    }

    private static func isPostID(_ segment: Substring) -> Bool {
        (1...12).contains(segment.count) && segment.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// "tg://resolve?domain=NAME" (other parameters allowed); any other action names nothing, and
    /// so does a second "domain" or a "phone" (either could resolve to another account).
    private static func telegramDeepLink(_ rest: Substring.UnicodeScalarView) -> Names {
        let action = rest.prefix { !"/?#".unicodeScalars.contains($0) }
        guard String(Substring(action)).lowercased() == "resolve" else { return .nothing }
        var query = rest[action.endIndex...]
        if query.first == "/" { query = query.dropFirst() }
        guard query.first == "?" else { return .nothing }
        let pairs = query.dropFirst().prefix { $0 != "#" }.split(separator: "&").map { Substring($0) }
        let keys = pairs.map { $0.prefix { $0 != "=" }.lowercased() }
        guard keys.filter({ $0 == "domain" }).count == 1, !keys.contains("phone"),
            let pair = pairs.first(where: { $0.lowercased().hasPrefix("domain=") }),
            let name = handle(percentDecoded: pair.dropFirst("domain=".count))
        else { return .nothing }
        return .account(name)
    }

    private static let telegramHosts: Set<String> = ["t.me", "telegram.me", "telegram.dog"]
    /// First path segments of t.me that are features, not accounts.
    private static let telegramPaths: Set<String> = [
        "joinchat", "addstickers", "addemoji", "addtheme", "addlist", "share", "proxy", "socks", "c", "iv", "login", "setlanguage",
        "bg", "invoice", "confirmphone", "contact", "boost", "m",
    ]
    private static let xHosts: Set<String> = ["x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com", "m.twitter.com"]
    /// First path segments of x.com that are pages, not accounts.
    private static let xPaths: Set<String> = [
        "home", "i", "intent", "search", "explore", "hashtag", "share", "settings", "messages", "notifications", "compose", "login",
        "logout", "signup", "tos", "privacy", "about", "download", "jobs",
    ]
    /// Second path segments of x.com that are the account's own pages (a post id is not: see `names`).
    private static let xTabs: Set<String> = [
        "with_replies", "media", "likes", "highlights", "articles", "followers", "following", "verified_followers", "photo",
        "header_photo", "lists", "communities",
    ]

    // MARK: URLs and hosts

    struct Link {
        /// Mapped as a browser maps it; when not `valid` (a browser would refuse it), with each run
        /// of characters no host holds made a dot, to be compared for resemblance only.
        var host: String
        var valid: Bool
        var path: Substring.UnicodeScalarView
    }

    /// An http(s) URL, or a scheme-less "host[/path]", split as a browser's URL parser splits it:
    /// on ASCII code points of the text as typed (a full-width "／" is no separator, and "/" with an
    /// accent over it still is). Userinfo ("https://wallet.example.com@evil.io") is dropped, since
    /// the browser goes to evil.io. Hand-parsed: Foundation's URL would IDNA-encode or refuse the
    /// Unicode hosts we must compare.
    static func link(_ text: Substring) -> Link? {
        guard let (rest, hasScheme) = afterScheme(text.unicodeScalars) else { return nil }
        let end = rest.firstIndex { "/\\?#".unicodeScalars.contains($0) } ?? rest.endIndex
        var authority = rest[..<end]
        if let at = authority.lastIndex(of: "@") {
            // Without a scheme, "a@b.c" is an address, not a link.
            guard hasScheme else { return nil }
            authority = authority[authority.index(after: at)...]
        }
        if let colon = authority.lastIndex(of: ":") {
            let port = authority[authority.index(after: colon)...]
            guard port.count <= 5, port.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
            authority = authority[..<colon]
        }
        let path = rest[end...].prefix { $0 != "?" && $0 != "#" }
        if let host = host(Substring(authority), requireDomain: !hasScheme, dropWWW: true) {
            return Link(host: host, valid: true, path: path)
        }
        // A typed scheme says it is meant as a link: judge what the host resembles.
        guard hasScheme, let cleaned = cleanedHost(Substring(authority)) else { return nil }
        return Link(host: cleaned, valid: false, path: path)
    }

    /// The text after an http(s) scheme and the slashes after it (a browser reads "https:\\host"
    /// and "https:host" alike); the text itself when it has no scheme ("host:443"); nil for another
    /// scheme ("ftp://").
    private static func afterScheme(_ text: Substring.UnicodeScalarView) -> (Substring.UnicodeScalarView, Bool)? {
        guard let colon = text.firstIndex(of: ":"), isScheme(text[..<colon]) else { return (text, false) }
        let scheme = String(Substring(text[..<colon])).lowercased()
        let rest = text[text.index(after: colon)...]
        if scheme == "http" || scheme == "https" { return (rest.drop { $0 == "/" || $0 == "\\" }, true) }
        return rest.starts(with: "//".unicodeScalars) ? nil : (text, false)
    }

    /// An ASCII letter, then letters, digits, "+", "-" or "." (RFC 3986).
    private static func isScheme(_ name: Substring.UnicodeScalarView) -> Bool {
        guard let first = name.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return name.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || "0123456789+-.".unicodeScalars.contains($0)) }
    }

    /// A path's segments as a browser resolves them: split on "/" and "\\", "." and ".." applied
    /// (also as "%2e"), so "/name/../joinchat/x" is ["joinchat", "x"]; a trailing "/" adds none.
    static func segments(_ path: Substring.UnicodeScalarView) -> [Substring] {
        let parts = path.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }.dropFirst().map { Substring($0) }
        var resolved: [Substring] = []
        for (index, part) in parts.enumerated() {
            let dots = dotSegment(part)
            if dots == 2 { _ = resolved.popLast() }
            // A dot segment at the end leaves the path ending in "/".
            if dots > 0 { if index == parts.count - 1 { resolved.append("") } } else { resolved.append(part) }
        }
        if resolved.last == "" { resolved.removeLast() }
        return resolved
    }

    /// 1 for ".", 2 for "..", as typed or percent-encoded ("%2E" in any case); 0 otherwise.
    private static func dotSegment(_ segment: Substring) -> Int {
        guard segment.utf8.count <= 6 else { return 0 }
        switch segment.lowercased() {
        case ".", "%2e": return 1
        case "..", ".%2e", "%2e.", "%2e%2e": return 2
        default: return 0
        }
    }

    // MARK: Email and phone

    /// "local@domain" lowercased; also "Name <local@domain>" and "mailto:". One "@", a local part
    /// without spaces or brackets, a domain with a dot.
    static func email(_ text: String) -> String? {
        var address = Substring(text)
        if let open = address.lastIndex(of: "<") {
            address = address[address.index(after: open)...].prefix { $0 != ">" }
        }
        if address.lowercased().hasPrefix("mailto:") {
            // Extra recipients (cc, bcc, to) send the mail to someone else too: not one address.
            let query = address.drop { $0 != "?" }.lowercased()
            if ["to=", "cc=", "bcc="].contains(where: { query.contains($0) }) || address.contains(",") { return nil }
            address = address.dropFirst("mailto:".count).prefix { $0 != "?" }
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last, (1...64).contains(local.count),
            local.allSatisfy({ !$0.isWhitespace && !"<>()[]\\,;:\"".contains($0) }),
            let host = host(domain, requireDomain: true, dropWWW: false)
        else { return nil }
        return local.lowercased() + "@" + host
    }

    /// "+" and 7–15 digits; spaces, "-" and parentheses may separate them, "00" may stand for "+".
    /// Without a country code the digits are read as international only when `requireCountryCode`
    /// is false (a pasted value; an admin must say which country).
    static func phone(_ text: String, requireCountryCode: Bool) -> String? {
        var number = Substring(text)
        if number.lowercased().hasPrefix("tel:") { number = number.dropFirst("tel:".count) }
        var international = number.hasPrefix("+")
        if international { number = number.dropFirst() }
        guard number.allSatisfy({ $0.isASCII && ($0.isNumber || " -()".contains($0)) }) else { return nil }
        var digits = String(number.filter(\.isNumber))
        if !international, digits.hasPrefix("00") {
            international = true
            digits.removeFirst(2)
        }
        guard international || !requireCountryCode, (7...15).contains(digits.count), !digits.hasPrefix("0") else { return nil }
        return "+" + digits
    }
}
