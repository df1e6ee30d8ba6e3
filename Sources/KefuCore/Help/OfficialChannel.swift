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
    /// Input is NFKC-folded first, so full-width text typed with a Chinese IME ("＠ＫｅｆｕＢｏｔ")
    /// reads as its ASCII form, as browsers and the apps themselves read it. A phone number needs
    /// its country code ("+" or "00"): a national number would silently become another country's.
    public static func canonical(kind: OfficialChannelKind, _ raw: String) -> String? {
        guard let text = ChannelText.prepared(raw) else { return nil }
        switch kind {
        case .url: return ChannelText.link(text)?.host
        case .email: return ChannelText.email(text)
        case .telegram, .x:
            if let handle = ChannelText.handle(text[...]) { return handle }
            guard let social = ChannelText.social(text), social.kind == kind else { return nil }
            return social.handle
        case .phone: return ChannelText.phone(text, requireCountryCode: true)
        }
    }
}

/// What a customer pasted, read as every kind it could be: "@kefu" could be Telegram or X;
/// "t.me/x" is Telegram; "https://x.com/y" is X; "a@b.c" is email; "wallet.example.com" or any
/// http(s) URL is a url; "+1 555 0100" / digits (7–15) is a phone. Empty/garbage → [].
///
/// Also read: a bare handle without "@" (Telegram and X), "Name <a@b.c>", "mailto:", "tel:",
/// "tg://resolve?domain=…", "name.t.me", "t.me/s/name". Digits without "+" are read as an
/// international number (as wa.me links write them). A Telegram or X link that names no account
/// (an invite link, a search) gives nothing to check. Over 512 characters, or any control or
/// invisible formatting character (a zero-width space splits what the app would link) → [].
public struct PastedValue: Sendable, Equatable {
    public var raw: String
    /// Canonical per plausible kind, in `OfficialChannelKind` order.
    public var candidates: [OfficialChannel]

    public init(_ raw: String) {
        self.raw = raw
        self.candidates = ChannelText.prepared(raw).map(Self.readings) ?? []
    }

    private static func readings(_ text: String) -> [OfficialChannel] {
        if let phone = ChannelText.phone(text, requireCountryCode: false) { return [OfficialChannel(kind: .phone, value: phone)] }
        if let email = ChannelText.email(text) { return [OfficialChannel(kind: .email, value: email)] }
        // "@name", or a bare word that could be one (at least one letter: "2024" is not a handle).
        if let handle = ChannelText.handle(text[...]), text.hasPrefix("@") || handle.contains(where: \.isLetter) {
            return [OfficialChannel(kind: .telegram, value: handle), OfficialChannel(kind: .x, value: handle)]
        }
        if let social = ChannelText.social(text) {
            return social.handle.map { [OfficialChannel(kind: social.kind, value: $0)] } ?? []
        }
        if let link = ChannelText.link(text) { return [OfficialChannel(kind: .url, value: link.host)] }
        return []
    }
}

/// Reading typed or pasted text as a channel. Lenient about the forms people copy (schemes, paths,
/// ports, wrapping quotes, trailing punctuation), strict about what makes a value a value.
enum ChannelText {
    static let maxLength = 512

    /// Trimmed and NFKC-folded, or nil when too long, empty or holding control/format characters.
    static func prepared(_ raw: String) -> String? {
        // Bytes first, so a huge paste is refused without counting its characters.
        guard raw.utf8.count <= maxLength * 4, raw.count <= maxLength else { return nil }
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let invisible = trimmed.unicodeScalars.contains {
            $0.properties.generalCategory == .control || $0.properties.generalCategory == .format
        }
        guard !invisible else { return nil }
        let folded = trimmed.precomposedStringWithCompatibilityMapping
        let text = folded.trimmingCharacters(in: wrapping).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }

    /// Quotes and brackets pasted around a value, and sentence punctuation after it.
    private static let wrapping = CharacterSet(charactersIn: "\"'`<>()[]{}\u{201C}\u{201D}\u{2018}\u{2019}\u{300C}\u{300D}\u{300A}\u{300B}.,;:!?\u{3002}")

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

    /// A Telegram or X link: the kind, and the account it names (nil for an invite link, a search…).
    static func social(_ text: String) -> (kind: OfficialChannelKind, handle: String?)? {
        if text.lowercased().hasPrefix("tg://") { return (.telegram, telegramDeepLink(text)) }
        guard let link = link(text) else { return nil }
        let segments = link.path.split(separator: "/")
        if telegramHosts.contains(link.host) {
            // t.me/s/name is the web preview of a channel.
            let name = segments.first == "s" ? segments.dropFirst().first : segments.first
            guard let name, !name.hasPrefix("+"), !telegramPaths.contains(name.lowercased()) else { return (.telegram, nil) }
            return (.telegram, handle(name))
        }
        if link.host.hasSuffix(".t.me") { return (.telegram, handle(link.host.dropLast(".t.me".count))) }
        if xHosts.contains(link.host) {
            guard let name = segments.first, !xPaths.contains(name.lowercased()) else { return (.x, nil) }
            return (.x, handle(name))
        }
        return nil
    }

    private static func telegramDeepLink(_ text: String) -> String? {
        guard let query = text.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") where pair.lowercased().hasPrefix("domain=") {
            return handle(pair.dropFirst("domain=".count))
        }
        return nil
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

    // MARK: URLs and hosts

    struct Link {
        var host: String
        var path: Substring
    }

    /// An http(s) URL, or a scheme-less "host[/path]". The host is what counts; userinfo
    /// ("https://wallet.example.com@evil.io") is dropped, since the browser goes to evil.io.
    /// Hand-parsed: Foundation's URL would IDNA-encode or refuse the Unicode hosts we must compare.
    static func link(_ text: String) -> Link? {
        var rest = Substring(text)
        var hasScheme = false
        if let separator = rest.range(of: "://") {
            let scheme = rest[..<separator.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else { return nil }
            rest = rest[separator.upperBound...]
            hasScheme = true
        }
        let end = rest.firstIndex(where: { "/?#\\".contains($0) }) ?? rest.endIndex
        var authority = rest[..<end]
        if let at = authority.lastIndex(of: "@") {
            // Without a scheme, "a@b.c" is an address, not a link.
            guard hasScheme else { return nil }
            authority = authority[authority.index(after: at)...]
        }
        if let colon = authority.lastIndex(of: ":") {
            let port = authority[authority.index(after: colon)...]
            guard port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            authority = authority[..<colon]
        }
        guard let host = host(authority, requireDomain: !hasScheme, dropWWW: true) else { return nil }
        let after = rest[end...]
        return Link(host: host, path: after.prefix { $0 != "?" && $0 != "#" })
    }

    /// A host name, lowercased, "xn--" labels decoded and a leading "www." dropped (for links).
    /// Labels are letters of any script, digits, combining marks and "-"; without a scheme it
    /// takes two labels and a top-level label with a letter ("1.2.3.4" is not a pasted domain).
    static func host(_ raw: Substring, requireDomain: Bool, dropWWW: Bool) -> String? {
        var text = String(raw)
        if text.contains("%") {
            guard let decoded = text.removingPercentEncoding else { return nil }
            text = decoded.precomposedStringWithCompatibilityMapping
        }
        text = text.replacingOccurrences(of: "\u{3002}", with: ".").lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.isEmpty, text.count <= 253 else { return nil }
        var labels = text.split(separator: ".", omittingEmptySubsequences: false).map { Punycode.decodedLabel(String($0)) }
        guard labels.allSatisfy(isLabel) else { return nil }
        if requireDomain {
            guard labels.count >= 2, let top = labels.last, top.contains(where: \.isLetter) else { return nil }
        }
        if dropWWW, labels.count > 2, labels[0] == "www" { labels.removeFirst() }
        return labels.joined(separator: ".")
    }

    static func isLabel(_ label: String) -> Bool {
        (1...63).contains(label.count) && label.contains(where: { $0 != "-" })
            && label.unicodeScalars.allSatisfy { scalar in
                let category = scalar.properties.generalCategory
                return scalar == "-" || scalar.properties.isAlphabetic || category == .decimalNumber || category == .nonspacingMark
                    || category == .spacingMark
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
        if address.lowercased().hasPrefix("mailto:") { address = address.dropFirst("mailto:".count).prefix { $0 != "?" } }
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
