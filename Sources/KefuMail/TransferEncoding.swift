import Foundation

/// Content-Transfer-Encoding: reading is lenient (real mail breaks the rules), writing is strict.
public enum TransferEncoding {
    /// Base64 with anything outside the alphabet skipped (line breaks, stray spaces) and a
    /// missing or wrong padding tolerated. `clean` is false when bytes had to be skipped or
    /// a trailing fragment dropped.
    public static func decodeBase64(_ input: some Collection<UInt8>) -> (bytes: [UInt8], clean: Bool) {
        var output = [UInt8]()
        output.reserveCapacity(input.count * 3 / 4)
        var quad: UInt32 = 0
        var count = 0
        var clean = true
        var sawPadding = false
        for byte in input {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="):
                sawPadding = true
                continue
            case 0x0D, 0x0A, 0x20, 0x09:
                continue
            default:
                clean = false
                continue
            }
            if sawPadding {
                // Data after padding: a second base64 run glued on. Keep reading it.
                sawPadding = false
            }
            quad = quad << 6 | value
            count += 1
            if count == 4 {
                output.append(UInt8(truncatingIfNeeded: quad >> 16))
                output.append(UInt8(truncatingIfNeeded: quad >> 8))
                output.append(UInt8(truncatingIfNeeded: quad))
                quad = 0
                count = 0
            }
        }
        switch count {
        case 2: output.append(UInt8(truncatingIfNeeded: quad >> 4))
        case 3:
            output.append(UInt8(truncatingIfNeeded: quad >> 10))
            output.append(UInt8(truncatingIfNeeded: quad >> 2))
        case 1: clean = false
        default: break
        }
        return (output, clean)
    }

    /// Quoted-printable (RFC 2045 §6.7): `=XX`, soft line breaks `=` at a line's end, trailing
    /// whitespace on a line dropped. A malformed `=` is kept as it is.
    /// `underscoreIsSpace` is the Q encoding of RFC 2047 headers.
    public static func decodeQuotedPrintable(_ input: some Collection<UInt8>, underscoreIsSpace: Bool = false) -> [UInt8] {
        let bytes = Array(input)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var pendingWhitespace = [UInt8]()
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 {
                pendingWhitespace.append(byte)
                index += 1
                continue
            }
            if byte == 0x0D || byte == 0x0A {
                // Whitespace before a hard line break is padding added in transit.
                pendingWhitespace.removeAll()
                output.append(byte)
                index += 1
                continue
            }
            output.append(contentsOf: pendingWhitespace)
            pendingWhitespace.removeAll()
            if byte == UInt8(ascii: "=") {
                // Soft line break: "=" then optional whitespace then CRLF or LF.
                var look = index + 1
                while look < bytes.count, bytes[look] == 0x20 || bytes[look] == 0x09 { look += 1 }
                if look < bytes.count, bytes[look] == 0x0D || bytes[look] == 0x0A {
                    index = look + (bytes[look] == 0x0D && look + 1 < bytes.count && bytes[look + 1] == 0x0A ? 2 : 1)
                    continue
                }
                if look >= bytes.count {
                    index = look
                    continue
                }
                if index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                    output.append(high << 4 | low)
                    index += 3
                    continue
                }
                output.append(byte)
                index += 1
                continue
            }
            output.append(underscoreIsSpace && byte == UInt8(ascii: "_") ? 0x20 : byte)
            index += 1
        }
        output.append(contentsOf: pendingWhitespace)
        return output
    }

    /// Base64 in lines of 76 characters, CRLF-separated.
    public static func encodeBase64(_ bytes: some Collection<UInt8>) -> String {
        let encoded = Data(bytes).base64EncodedString()
        var lines: [Substring] = []
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(encoded[start..<end])
            start = end
        }
        return lines.joined(separator: "\r\n")
    }

    /// "=XX" with upper-case hex, as quoted-printable writes a byte.
    private static func escaped(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "=" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    /// Quoted-printable of UTF-8 text with CRLF line breaks and soft breaks at 76 characters.
    public static func encodeQuotedPrintable(_ text: String) -> String {
        var result = ""
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (lineIndex, line) in lines.enumerated() {
            var current = ""
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                var piece: String
                switch byte {
                case 0x21...0x3C, 0x3E...0x7E: piece = String(UnicodeScalar(byte))
                case 0x20, 0x09: piece = isLast ? escaped(byte) : String(UnicodeScalar(byte))
                default: piece = escaped(byte)
                }
                // A line that would start with "." is left for the SMTP layer to dot-stuff.
                if current.utf8.count + piece.utf8.count > 75 {
                    result += current + "=\r\n"
                    current = ""
                }
                current += piece
            }
            result += current
            if lineIndex < lines.count - 1 { result += "\r\n" }
        }
        return result
    }
}
