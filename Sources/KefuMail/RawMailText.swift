import Foundation

/// The text a stored original would show anyone who opens it as text: every header line (with
/// encoded words decoded, so `X-Note: =?utf-8?b?…?=` reads as words), the preamble and epilogue
/// of multipart bodies, unencoded bodies as they stand. Lines that are only base64 (an encoded
/// part) are left out: what they encode is read decoded, part by part. For the secret check, a
/// net under the parsed reading: it catches words in places the parser has no field for.
public enum RawMailText {
    /// At most this much text is read: a mail's own text is far less, and a larger mail of
    /// unencoded text is read up to here (docs/trust-and-safety.md, known gaps).
    public static let maxLength = 4 << 20

    public static func text(of raw: [UInt8]) -> String {
        var output = ""
        var start = raw.startIndex
        while start < raw.endIndex, output.utf8.count < maxLength {
            let end = raw[start...].firstIndex(of: 0x0A) ?? raw.endIndex
            var line = raw[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            start = end < raw.endIndex ? end + 1 : end
            if isBase64(line) { continue }
            if line.count > 1, contains(line, "=?") {
                output += HeaderText.decode(Array(line))
            } else {
                output += String(decoding: line, as: UTF8.self)
            }
            output += "\n"
        }
        return output
    }

    /// A line of an encoded part: long, and nothing but base64's alphabet.
    static func isBase64(_ line: ArraySlice<UInt8>) -> Bool {
        guard line.count >= 40 else { return false }
        return line.allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2B || byte == 0x2F
                || byte == 0x3D
        }
    }

    static func contains(_ line: ArraySlice<UInt8>, _ needle: String) -> Bool {
        let bytes = Array(needle.utf8)
        guard line.count >= bytes.count else { return false }
        var index = line.startIndex
        while index <= line.endIndex - bytes.count {
            if line[index] == bytes[0], Array(line[index..<(index + bytes.count)]) == bytes { return true }
            index += 1
        }
        return false
    }
}
