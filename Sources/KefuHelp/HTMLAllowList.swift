import Foundation
import KefuCore

/// Re-serialises HTML through an allow-list: known tags only, attributes only where listed,
/// links only to http(s), mailto and same-site paths, text always escaped. Ink's output is
/// the input, but nothing here trusts it: Ink copies link targets and raw HTML as written, so
/// `[x](http://a" onclick="…)` would otherwise leave the attribute.
struct HTMLAllowList {
    /// Elements kept, with the attributes each may carry.
    static let elements: [String: Set<String>] = [
        "p": [], "br": [], "hr": [], "h1": [], "h2": [], "h3": [], "h4": [], "h5": [], "h6": [],
        "strong": [], "em": [], "b": [], "i": [], "del": [], "s": [], "code": [], "pre": [], "blockquote": [],
        "ul": [], "ol": [], "li": [], "table": [], "thead": [], "tbody": [], "tr": [], "th": [], "td": [],
        "a": ["href"], "img": ["src", "alt"],
    ]
    static let void: Set<String> = ["br", "hr", "img"]
    /// Whose content is dropped with them, not shown as text.
    static let opaque: Set<String> = ["script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math", "textarea", "title"]

    /// One piece of the cleaned document, for callers that decorate it (heading ids).
    enum Node: Equatable {
        case open(String, [(String, String)])
        case close(String)
        case text(String)

        static func == (lhs: Node, rhs: Node) -> Bool {
            switch (lhs, rhs) {
            case (.open(let a, let x), .open(let b, let y)): a == b && x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
            case (.close(let a), .close(let b)): a == b
            case (.text(let a), .text(let b)): a == b
            default: false
            }
        }
    }

    /// The allowed nodes of `html`, balanced: stray closers dropped, open elements closed.
    static func clean(_ html: String) -> [Node] {
        var nodes: [Node] = []
        var stack: [String] = []
        var skipping: String?
        var text = ""
        let chars = Array(html.unicodeScalars)
        var i = 0
        func flush() {
            if !text.isEmpty, skipping == nil { nodes.append(.text(Entities.decode(text))) }
            text = ""
        }
        while i < chars.count {
            guard chars[i] == "<", let tag = Tag.read(chars, at: i) else {
                text.unicodeScalars.append(chars[i])
                i += 1
                continue
            }
            i = tag.end
            flush()
            if let waiting = skipping {
                if tag.closing && tag.name == waiting { skipping = nil }
                continue
            }
            if opaque.contains(tag.name) {
                if !tag.closing && !tag.selfClosing { skipping = tag.name }
                continue
            }
            guard let allowed = elements[tag.name] else { continue }
            if tag.closing {
                guard let at = stack.lastIndex(of: tag.name) else { continue }
                for name in stack[at...].reversed() { nodes.append(.close(name)) }
                stack.removeSubrange(at...)
                continue
            }
            let attributes = tag.attributes.compactMap { name, value -> (String, String)? in
                guard allowed.contains(name) else { return nil }
                switch name {
                case "href": return SafeLink.href(value).map { (name, $0) }
                case "src": return SafeLink.imageSource(value).map { (name, $0) }
                default: return (name, value)
                }
            }
            if tag.name == "img", !attributes.contains(where: { $0.0 == "src" }) { continue }
            nodes.append(.open(tag.name, attributes))
            if !void.contains(tag.name) { stack.append(tag.name) }
        }
        flush()
        for name in stack.reversed() { nodes.append(.close(name)) }
        return nodes
    }

    static func serialize(_ nodes: [Node]) -> String {
        var out = ""
        for node in nodes {
            switch node {
            case .text(let text): out += HTMLEscaping.escape(text)
            case .close(let name): out += "</\(name)>"
            case .open(let name, let attributes):
                out += "<\(name)"
                for (key, value) in attributes { out += " \(key)=\"\(HTMLEscaping.escape(value))\"" }
                if name == "a", let href = attributes.first(where: { $0.0 == "href" })?.1, SafeLink.isExternal(href) {
                    out += " rel=\"noopener noreferrer nofollow\""
                }
                out += ">"
            }
        }
        return out
    }
}

/// A tag as written: `<name attr="v">`, `</name>`, `<name/>`. Anything else is text.
struct Tag {
    var name: String
    var closing: Bool
    var selfClosing: Bool
    var attributes: [(String, String)]
    var end: Int

    static func read(_ s: [Unicode.Scalar], at start: Int) -> Tag? {
        var i = start + 1
        var closing = false
        if i < s.count, s[i] == "/" { closing = true; i += 1 }
        let nameStart = i
        while i < s.count, s[i].properties.isAlphabetic || ("0"..."9").contains(s[i]) { i += 1 }
        guard i > nameStart, s[nameStart].isASCII, s[nameStart].properties.isAlphabetic else { return nil }
        let name = String(String.UnicodeScalarView(s[nameStart..<i])).lowercased()
        var attributes: [(String, String)] = []
        var selfClosing = false
        while i < s.count {
            while i < s.count, s[i].properties.isWhitespace { i += 1 }
            guard i < s.count else { return nil }
            if s[i] == ">" { return Tag(name: name, closing: closing, selfClosing: selfClosing, attributes: attributes, end: i + 1) }
            if s[i] == "/" { selfClosing = true; i += 1; continue }
            let keyStart = i
            while i < s.count, !s[i].properties.isWhitespace, s[i] != "=", s[i] != ">", s[i] != "/" { i += 1 }
            let key = String(String.UnicodeScalarView(s[keyStart..<i])).lowercased()
            if i == keyStart { i += 1; continue }
            while i < s.count, s[i].properties.isWhitespace { i += 1 }
            var value = ""
            if i < s.count, s[i] == "=" {
                i += 1
                while i < s.count, s[i].properties.isWhitespace { i += 1 }
                if i < s.count, s[i] == "\"" || s[i] == "'" {
                    let quote = s[i]
                    i += 1
                    let valueStart = i
                    while i < s.count, s[i] != quote { i += 1 }
                    value = String(String.UnicodeScalarView(s[valueStart..<min(i, s.count)]))
                    i += 1
                } else {
                    let valueStart = i
                    while i < s.count, !s[i].properties.isWhitespace, s[i] != ">" { i += 1 }
                    value = String(String.UnicodeScalarView(s[valueStart..<i]))
                }
            }
            // The first of a repeated attribute wins, as in browsers.
            if !attributes.contains(where: { $0.0 == key }) { attributes.append((key, Entities.decode(value))) }
        }
        return nil
    }
}

/// Where a link in an article may point.
enum SafeLink {
    static let schemes: Set<String> = ["http", "https", "mailto"]

    /// The target to keep, or nil: the value is read as a browser would (control characters and
    /// whitespace inside the scheme ignored) before its scheme is checked.
    static func href(_ raw: String) -> String? {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return nil }
        if value.hasPrefix("#") || (value.hasPrefix("/") && !value.hasPrefix("/\\")) { return value }
        let compact = String(value.unicodeScalars.filter { !$0.properties.isWhitespace })
        guard let colon = compact.firstIndex(of: ":") else {
            // A relative path ("other-article") stays relative to the page.
            return compact.contains(where: { "\\".contains($0) }) ? nil : value
        }
        let scheme = compact[..<colon].lowercased()
        guard schemes.contains(scheme) else { return nil }
        return value
    }

    /// Images from this site or over https only: no tracking pixels over plain http, no data URLs.
    static func imageSource(_ raw: String) -> String? {
        guard let value = href(raw) else { return nil }
        if value.hasPrefix("/") && !value.hasPrefix("//") { return value }
        return value.lowercased().hasPrefix("https://") ? value : nil
    }

    static func isExternal(_ href: String) -> Bool {
        let lower = href.lowercased()
        return lower.hasPrefix("http:") || lower.hasPrefix("https:") || lower.hasPrefix("//")
    }
}

/// HTML character references: enough to read what Ink writes and what authors type, and the
/// escaping every text and attribute gets on the way out.
enum Entities {
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}", "colon": ":", "tab": "\t", "newline": "\n",
    ]

    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semicolon = after.prefix(12).firstIndex(of: ";") else {
                out += "&"
                rest = after
                continue
            }
            let name = after[..<semicolon]
            var decoded: String?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
            } else if name.hasPrefix("#") {
                decoded = UInt32(name.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
            } else {
                decoded = named[String(name).lowercased()]
            }
            if let decoded {
                out += decoded
                rest = after[after.index(after: semicolon)...]
            } else {
                out += "&"
                rest = after
            }
        }
        return out + rest
    }
}
