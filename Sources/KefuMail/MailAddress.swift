import Foundation

/// A mailbox from a From/To/Cc/Reply-To header: display name (decoded) and address.
public struct MailAddress: Sendable, Equatable, Hashable {
    public var name: String?
    /// As written; compare with `normalized`.
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    /// Lower-cased, trimmed: what Kefu compares and stores.
    public var normalized: String { address.trimmingCharacters(in: .whitespaces).lowercased() }

    public var localPart: String { String(normalized.split(separator: "@", maxSplits: 1).first ?? "") }
    public var domain: String { normalized.split(separator: "@", maxSplits: 1).dropFirst().first.map(String.init) ?? "" }

    /// Parses an address list leniently: `"Name" <a@b>`, `Name <a@b>`, `a@b (Name)`, bare `a@b`,
    /// groups (`undisclosed-recipients:;`), encoded-word names, commas inside quotes.
    public static func parseList(_ raw: [UInt8], fallbackCharset: String? = nil) -> [MailAddress] {
        var results: [MailAddress] = []
        for item in splitTopLevel(raw) {
            var bytes = item
            // Group syntax: "name: a, b;" — strip the group label and terminator.
            if let colon = topLevelIndex(of: UInt8(ascii: ":"), in: bytes), !bytes[..<colon].contains(UInt8(ascii: "<")),
                !bytes[..<colon].contains(UInt8(ascii: "@"))
            {
                bytes = Array(bytes[(colon + 1)...])
            }
            bytes.removeAll { $0 == UInt8(ascii: ";") }
            if let parsed = parseOne(bytes, fallbackCharset: fallbackCharset) { results.append(parsed) }
        }
        return results
    }

    static func parseOne(_ bytes: [UInt8], fallbackCharset: String?) -> MailAddress? {
        let text = HeaderText.decode(bytes, fallbackCharset: fallbackCharset).trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            let address = text[text.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            var name = text[..<open].trimmingCharacters(in: .whitespaces)
            name = unquote(name)
            guard address.contains("@") else { return address.isEmpty ? nil : MailAddress(name: name.isEmpty ? nil : name, address: address) }
            return MailAddress(name: name.isEmpty ? nil : name, address: address)
        }
        // a@b (Name)
        var address = text
        var name: String?
        if let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close {
            name = text[text.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            address = (text[..<open] + text[text.index(after: close)...]).trimmingCharacters(in: .whitespaces)
        }
        guard address.contains("@"), !address.contains(" ") else { return nil }
        return MailAddress(name: name?.isEmpty == true ? nil : name, address: address)
    }

    static func unquote(_ text: String) -> String {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return text }
        return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
    }

    /// Splits on commas outside quotes, angle brackets and comments.
    static func splitTopLevel(_ raw: [UInt8]) -> [[UInt8]] {
        var items: [[UInt8]] = []
        var current: [UInt8] = []
        var quoted = false
        var angle = 0
        var comment = 0
        var previous: UInt8 = 0
        for byte in raw {
            switch byte {
            case UInt8(ascii: "\"") where previous != UInt8(ascii: "\\"): quoted.toggle()
            case UInt8(ascii: "<") where !quoted: angle += 1
            case UInt8(ascii: ">") where !quoted: angle = max(0, angle - 1)
            case UInt8(ascii: "(") where !quoted: comment += 1
            case UInt8(ascii: ")") where !quoted: comment = max(0, comment - 1)
            case UInt8(ascii: ","), UInt8(ascii: ";"):
                // Outlook users separate with ";"; in a group ("list: a, b;") it ends the group.
                if !quoted && angle == 0 && comment == 0 && (byte == UInt8(ascii: ",") || !current.contains(UInt8(ascii: ":"))) {
                    items.append(current)
                    current = []
                    previous = byte
                    continue
                }
            default: break
            }
            current.append(byte)
            previous = byte
        }
        items.append(current)
        return items
    }

    static func topLevelIndex(of target: UInt8, in bytes: [UInt8]) -> Int? {
        var quoted = false
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if byte == target && !quoted { return index }
        }
        return nil
    }

    /// `<id>`, built once (a regex literal is compiled at each evaluation).
    nonisolated(unsafe) static let bracketedId = /<([^<>\s]+)>/

    /// Message-ids from Message-ID / In-Reply-To / References: every `<…>`, without brackets.
    /// A bare id without brackets (some clients) is taken whole.
    public static func messageIds(_ raw: [UInt8]) -> [String] {
        let text = String(decoding: raw, as: UTF8.self)
        let bracketed = text.matches(of: bracketedId).map { String($0.output.1) }
        if !bracketed.isEmpty { return bracketed }
        let bare = text.trimmingCharacters(in: .whitespaces)
        return bare.contains("@") && !bare.contains(" ") ? [bare] : []
    }
}
