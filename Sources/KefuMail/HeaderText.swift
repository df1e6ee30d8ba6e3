import Foundation

/// Header values as people read them: RFC 2047 encoded words decoded, raw 8-bit text read in
/// the best charset available.
public enum HeaderText {
    /// Decodes a header value (unfolded, raw bytes). Adjacent encoded words in one charset are
    /// joined *as bytes* before decoding, so a multibyte character split across two words (as
    /// some clients do with long Chinese subjects) comes out whole. Whitespace between
    /// adjacent encoded words is dropped (RFC 2047 §6.2). Raw 8-bit bytes outside encoded
    /// words are read as UTF-8 if valid, else in `fallbackCharset` (a part's declared charset),
    /// else guessed.
    public static func decode(_ raw: [UInt8], fallbackCharset: String? = nil) -> String {
        let tokens = tokenize(raw)
        var result = ""
        var pendingBytes: [UInt8] = []
        var pendingCharset: String?
        var whitespaceAfterWord: [UInt8] = []

        func flushWord() {
            if let charset = pendingCharset {
                result += Charset.decode(pendingBytes, label: charset).text
            }
            pendingBytes = []
            pendingCharset = nil
        }
        for token in tokens {
            switch token {
            case .word(let charset, let bytes):
                if let current = pendingCharset, current.lowercased() == charset.lowercased() {
                    pendingBytes += bytes  // the whitespace between encoded words is not text
                } else {
                    flushWord()
                    pendingCharset = charset
                    pendingBytes = bytes
                }
                whitespaceAfterWord = []
            case .whitespace(let bytes):
                if pendingCharset != nil {
                    whitespaceAfterWord += bytes
                } else {
                    result += String(decoding: bytes, as: UTF8.self)
                }
            case .text(let bytes):
                flushWord()
                if !whitespaceAfterWord.isEmpty {
                    result += String(decoding: whitespaceAfterWord, as: UTF8.self)
                    whitespaceAfterWord = []
                }
                result += decodeRaw(bytes, fallbackCharset: fallbackCharset)
            }
        }
        flushWord()
        result += String(decoding: whitespaceAfterWord, as: UTF8.self)
        return result
    }

    /// Raw header bytes: ASCII as is, 8-bit as UTF-8 if valid, else the fallback, else a guess.
    static func decodeRaw(_ bytes: [UInt8], fallbackCharset: String?) -> String {
        guard bytes.contains(where: { $0 >= 0x80 }) else { return String(decoding: bytes, as: UTF8.self) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        if let fallbackCharset, Charset.isKnown(fallbackCharset) { return Charset.decode(bytes, label: fallbackCharset).text }
        return Charset.decode(bytes, label: nil).text
    }

    enum Token {
        case word(charset: String, bytes: [UInt8])
        case whitespace([UInt8])
        case text([UInt8])
    }

    /// Splits into encoded words, runs of whitespace and other text. An encoded word is
    /// recognised anywhere (also inside quotes or glued to text, as broken clients send it).
    static func tokenize(_ raw: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var text: [UInt8] = []
        var index = 0
        func flushText() {
            if !text.isEmpty { tokens.append(.text(text)) }
            text = []
        }
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: "="), index + 1 < raw.count, raw[index + 1] == UInt8(ascii: "?"),
                let (word, end) = encodedWord(raw, at: index)
            {
                flushText()
                tokens.append(word)
                index = end
                continue
            }
            if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A {
                flushText()
                var run: [UInt8] = []
                while index < raw.count, [0x20, 0x09, 0x0D, 0x0A].contains(raw[index]) {
                    if raw[index] == 0x20 || raw[index] == 0x09 { run.append(raw[index]) }
                    index += 1
                }
                tokens.append(.whitespace(run.isEmpty ? [0x20] : run))
                continue
            }
            text.append(byte)
            index += 1
        }
        flushText()
        return tokens
    }

    /// `=?charset[*lang]?B|Q?payload?=` starting at `start`, or nil.
    static func encodedWord(_ raw: [UInt8], at start: Int) -> (Token, Int)? {
        var index = start + 2
        var charset: [UInt8] = []
        while index < raw.count, raw[index] != UInt8(ascii: "?") {
            guard raw[index] > 0x20, raw[index] < 0x7F, charset.count < 40 else { return nil }
            charset.append(raw[index])
            index += 1
        }
        guard index + 2 < raw.count, raw[index + 2] == UInt8(ascii: "?") else { return nil }
        let encoding = raw[index + 1] | 0x20
        guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q") else { return nil }
        index += 3
        let payloadStart = index
        while index + 1 < raw.count, !(raw[index] == UInt8(ascii: "?") && raw[index + 1] == UInt8(ascii: "=")) {
            guard raw[index] != 0x0D, raw[index] != 0x0A else { return nil }
            index += 1
        }
        guard index + 1 < raw.count else { return nil }
        let payload = raw[payloadStart..<index]
        var name = String(decoding: charset, as: UTF8.self)
        if let star = name.firstIndex(of: "*") { name = String(name[..<star]) }  // RFC 2231 language suffix
        let bytes =
            encoding == UInt8(ascii: "b")
            ? TransferEncoding.decodeBase64(payload).bytes
            : TransferEncoding.decodeQuotedPrintable(payload, underscoreIsSpace: true)
        return (.word(charset: name, bytes: bytes), index + 2)
    }

    /// Encodes a header value for sending: ASCII stays as is; anything else becomes UTF-8 "B"
    /// encoded words of at most 75 characters that never split a character.
    public static func encode(_ value: String) -> String {
        if value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) { return value }
        var words: [String] = []
        var current: [UInt8] = []
        // 75 - len("=?UTF-8?B??=") = 63 base64 characters → 45 bytes of payload at most.
        for character in value {
            let bytes = Array(String(character).utf8)
            if current.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Data(current).base64EncodedString())?=")
                current = []
            }
            current += bytes
        }
        if !current.isEmpty { words.append("=?UTF-8?B?\(Data(current).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }
}
