/// Bytes as lowercase hexadecimal, from a table (`String(format: "%02x")` per byte is slow).
public enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as hex digits, with a `-` before each index in `dashesBefore` (a UUID's groups).
    public static func lowercase(_ bytes: some Sequence<UInt8>, dashesBefore: Set<Int> = []) -> String {
        var text = [UInt8]()
        text.reserveCapacity(bytes.underestimatedCount * 2 + dashesBefore.count)
        for (index, byte) in bytes.enumerated() {
            if dashesBefore.contains(index) { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
