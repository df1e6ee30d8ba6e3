import Foundation

/// HTML mail as readable plain text: structure kept as line breaks, scripts, styles and
/// comments dropped, entities decoded, links shown as "text (address)" and never fetched.
/// The result is text; it is escaped like any other text wherever it is shown.
public enum HTMLText {
    static let blockElements: Set<String> = [
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr",
        "section", "article", "header", "footer", "dl", "dt", "dd", "address", "center", "form",
    ]
    /// Their content is never text a reader sees.
    static let skippedElements: Set<String> = ["script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"]

    /// `spacedInline` puts a space at every inline tag (`<span>a</span><span>b</span>` reads
    /// "a b", not "ab"): what the secret check needs when words are set in separate elements.
    public static func text(from html: String, spacedInline: Bool = false) -> String {
        var output = ""
        var index = html.startIndex
        var skipping: String?
        var linkTarget: String?
        var linkTextStart: String.Index?
        var preDepth = 0
        func newline(_ count: Int = 1) {
            let existing = output.reversed().prefix { $0 == "\n" }.count
            if !output.isEmpty && existing < count { output += String(repeating: "\n", count: count - existing) }
        }
        while index < html.endIndex {
            let character = html[index]
            if character == "<" {
                if html[index...].hasPrefix("<!--") {
                    index = html[index...].range(of: "-->")?.upperBound ?? html.endIndex
                    continue
                }
                guard let close = html[index...].firstIndex(of: ">") else {
                    output += String(html[index...])
                    break
                }
                let tag = html[html.index(after: index)..<close]
                index = html.index(after: close)
                let closing = tag.hasPrefix("/")
                let name = tag.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
                if let current = skipping {
                    if closing && name == current { skipping = nil }
                    continue
                }
                if !closing && skippedElements.contains(name) && !tag.hasSuffix("/") {
                    skipping = name
                    continue
                }
                switch name {
                case "br": newline()
                case "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "ul", "ol": newline(2)
                case "li" where !closing:
                    newline()
                    output += "• "
                case "td", "th":
                    if !closing && !output.hasSuffix("\n") && !output.isEmpty { output += "\t" }
                case "hr": newline(); output += "----"; newline()
                case "pre": preDepth += closing ? -1 : 1; newline()
                case "a":
                    if !closing {
                        linkTarget = attribute("href", in: String(tag))
                        linkTextStart = output.endIndex
                    } else if let target = linkTarget, let start = linkTextStart {
                        let shown = output[start...].trimmingCharacters(in: .whitespacesAndNewlines)
                        // Show where a link really goes: phishing hides it behind other text.
                        if target.hasPrefix("http") || target.hasPrefix("mailto:"), shown != target,
                            shown != target.replacingOccurrences(of: "mailto:", with: "")
                        {
                            output += " (\(target))"
                        }
                        linkTarget = nil
                        linkTextStart = nil
                    }
                case "img":
                    if let alt = attribute("alt", in: String(tag)), !alt.isEmpty { output += "[\(alt)]" }
                default:
                    if blockElements.contains(name) {
                        newline()
                    } else if spacedInline, !(output.last?.isWhitespace ?? true) {
                        output += " "
                    }
                }
                continue
            }
            if skipping != nil {
                index = html.index(after: index)
                continue
            }
            if character == "&" {
                let (decoded, next) = entity(in: html, at: index)
                output += decoded
                index = next
                continue
            }
            if preDepth > 0 {
                output.append(character)
            } else if character.isWhitespace {
                if !(output.last?.isWhitespace ?? true) { output += " " }
            } else {
                output.append(character)
            }
            index = html.index(after: index)
        }
        // Tidy: no trailing spaces, at most one blank line in a row.
        let lines = output.replacingOccurrences(of: "\u{00A0}", with: " ").split(separator: "\n", omittingEmptySubsequences: false)
            .map(trimmedLine)
        var tidy: [Substring] = []
        for line in lines {
            if line.isEmpty && (tidy.last?.isEmpty ?? true) { continue }
            tidy.append(line)
        }
        while tidy.last?.isEmpty == true { tidy.removeLast() }
        return tidy.joined(separator: "\n")
    }

    /// The value of attribute `name` in a tag's text (`href="…"`, `alt='…'`, `alt=word`),
    /// entities decoded. A plain scan: tags are many in a mail, and building a pattern per tag
    /// was the parser's biggest cost.
    static func attribute(_ name: String, in tag: String) -> String? {
        let chars = Array(tag.unicodeScalars)
        let wanted = Array(name.lowercased().unicodeScalars)
        func isWord(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" }
        func isSpace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }
        var start = 0
        while start + wanted.count <= chars.count {
            defer { start += 1 }
            guard (start == 0 || !isWord(chars[start - 1])),
                zip(chars[start..<(start + wanted.count)], wanted).allSatisfy({ String($0.0).lowercased() == String($0.1) })
            else { continue }
            var index = start + wanted.count
            while index < chars.count, isSpace(chars[index]) { index += 1 }
            guard index < chars.count, chars[index] == "=" else { continue }
            index += 1
            while index < chars.count, isSpace(chars[index]) { index += 1 }
            guard index < chars.count else { continue }
            var value = String.UnicodeScalarView()
            let quote = chars[index]
            if quote == "\"" || quote == "'", let end = chars[(index + 1)...].firstIndex(of: quote) {
                value.append(contentsOf: chars[(index + 1)..<end])
            } else {
                // Unquoted, or an unclosed quote read as an unquoted value (as browsers do).
                while index < chars.count, !isSpace(chars[index]), chars[index] != ">" {
                    value.append(chars[index])
                    index += 1
                }
                guard !value.isEmpty else { continue }
            }
            return decodeEntities(String(value))
        }
        return nil
    }

    static func decodeEntities(_ text: String) -> String {
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "&" {
                let (decoded, next) = entity(in: text, at: index)
                output += decoded
                index = next
            } else {
                output.append(text[index])
                index = text.index(after: index)
            }
        }
        return output
    }

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}", "copy": "©", "reg": "®", "trade": "™",
        "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "bull": "•",
        "middot": "·", "yen": "¥", "euro": "€", "pound": "£", "times": "×", "laquo": "«", "raquo": "»", "emsp": " ", "ensp": " ",
        "thinsp": " ", "zwnj": "", "zwj": "",
    ]

    /// `&name;`, `&#123;`, `&#x1F600;` at `start`; anything else is a literal "&".
    static func entity(in text: String, at start: String.Index) -> (String, String.Index) {
        let after = text.index(after: start)
        guard let semicolon = text[after...].prefix(12).firstIndex(of: ";") else { return ("&", after) }
        let body = text[after..<semicolon]
        let next = text.index(after: semicolon)
        if body.hasPrefix("#") {
            let digits = body.dropFirst()
            let value = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            if let value, value != 0, let scalar = Unicode.Scalar(value) { return (String(Character(scalar)), next) }
            return ("\u{FFFD}", next)
        }
        if let named = namedEntities[String(body).lowercased()] { return (named, next) }
        return ("&", after)
    }

    /// A line without its trailing spaces and tabs or its leading spaces (a regex did this, and
    /// being compiled for every line it was a good part of parsing an HTML mail).
    static func trimmedLine(_ line: Substring) -> Substring {
        var end = line.endIndex
        while end > line.startIndex, case let before = line.index(before: end), line[before] == " " || line[before] == "\t" { end = before }
        var start = line.startIndex
        while start < end, line[start] == " " { start = line.index(after: start) }
        return line[start..<end]
    }
}
