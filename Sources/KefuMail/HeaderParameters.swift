import Foundation

/// A structured header value such as `multipart/mixed; boundary="x"` or
/// `attachment; filename*=UTF-8''%E6%88%AA%E5%9B%BE.png`.
public struct HeaderParameters: Sendable, Equatable {
    /// The part before the first `;`, lower-cased (`text/plain`, `attachment`).
    public var value: String
    /// Parameters by lower-cased name, with RFC 2231 continuations joined and charsets decoded,
    /// and RFC 2047 encoded words decoded (Outlook and Foxmail put those in `name=`).
    public var parameters: [String: String]

    public subscript(_ name: String) -> String? { parameters[name.lowercased()] }

    public init(value: String, parameters: [String: String] = [:]) {
        self.value = value
        self.parameters = parameters
    }

    /// Parses leniently: unquoted values with spaces, missing quotes and stray semicolons are
    /// read the way mail clients read them.
    public static func parse(_ raw: [UInt8], fallbackCharset: String? = nil) -> HeaderParameters {
        let pieces = split(raw)
        let value = String(decoding: pieces.first ?? [], as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
        var simple: [String: [UInt8]] = [:]
        // name → [(section, extended, bytes)] for RFC 2231 `name*0*=`, `name*1=` …
        var sections: [String: [(Int, Bool, [UInt8])]] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: piece[..<equals], as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
            guard !name.isEmpty else { continue }
            let rawValue = unquote(Array(piece[(equals + 1)...]))
            if let star = name.firstIndex(of: "*") {
                let base = String(name[..<star])
                let rest = name[name.index(after: star)...]
                if rest.isEmpty {
                    sections[base, default: []].append((0, true, rawValue))
                } else {
                    let extended = rest.hasSuffix("*")
                    let number = Int(extended ? rest.dropLast() : rest) ?? 0
                    sections[base, default: []].append((number, extended, rawValue))
                }
            } else {
                simple[name] = rawValue
            }
        }
        var parameters: [String: String] = [:]
        for (name, bytes) in simple {
            parameters[name] = HeaderText.decode(bytes, fallbackCharset: fallbackCharset)
        }
        // RFC 2231 wins over a plain parameter of the same name (clients send both).
        for (name, parts) in sections {
            let ordered = parts.sorted { $0.0 < $1.0 }
            var charset: String?
            var bytes: [UInt8] = []
            for (index, part) in ordered.enumerated() {
                var data = part.2
                if part.1 {
                    if index == 0 {
                        // charset'language'percent-encoded
                        let quotes = data.indices.filter { data[$0] == UInt8(ascii: "'") }
                        if quotes.count >= 2 {
                            charset = String(decoding: data[..<quotes[0]], as: UTF8.self)
                            data = Array(data[(quotes[1] + 1)...])
                        }
                    }
                    bytes += percentDecode(data)
                } else {
                    bytes += data
                }
            }
            let label = (charset?.isEmpty ?? true) ? fallbackCharset : charset
            parameters[name] = Charset.decode(bytes, label: label).text
        }
        return HeaderParameters(value: value, parameters: parameters)
    }

    /// Splits on `;` outside double quotes.
    static func split(_ raw: [UInt8]) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var current: [UInt8] = []
        var quoted = false
        var escaped = false
        for byte in raw {
            if escaped {
                current.append(byte)
                escaped = false
                continue
            }
            if quoted && byte == UInt8(ascii: "\\") {
                current.append(byte)
                escaped = true
                continue
            }
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if byte == UInt8(ascii: ";") && !quoted {
                pieces.append(current)
                current = []
                continue
            }
            current.append(byte)
        }
        pieces.append(current)
        return pieces
    }

    static func unquote(_ raw: [UInt8]) -> [UInt8] {
        var bytes = raw
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        guard bytes.first == UInt8(ascii: "\"") else { return bytes }
        var result: [UInt8] = []
        var index = 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                result.append(bytes[index + 1])
                index += 2
                continue
            }
            if byte == UInt8(ascii: "\"") { break }
            result.append(byte)
            index += 1
        }
        return result
    }

    static func percentDecode(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                result.append(value)
                index += 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }
}
