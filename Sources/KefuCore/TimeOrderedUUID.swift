import Foundation

/// UUIDs of version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Rows that
/// are written in great numbers (messages, limit decisions) take these as primary keys, so each
/// new key lands on the last page of the key's b-tree instead of a random page of it: with a
/// random UUID, every insert into a table of a million rows dirtied one more random page, written
/// to the WAL at commit and back to the database at the next checkpoint. Ids are not secrets
/// (every read is authorized), so telling the millisecond a row was made costs nothing.
public enum TimeOrderedUUID {
    /// A fresh version-7 UUID, as a lowercase string like every id Kefu stores.
    public static func make(at date: Date = Date()) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in 6..<16 { bytes[index] = generator.next() }
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // the RFC's variant, 10xx
        // Written as hex directly: through `UUID.uuidString.lowercased()` this was 2 % of an append.
        return Hex.lowercase(bytes, dashesBefore: groupStarts)
    }

    /// The smallest id made in the millisecond of `date`: ids at or above it were made then or later.
    public static func lowerBound(at date: Date) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index))) }
        return Hex.lowercase(bytes, dashesBefore: groupStarts)
    }

    private static let groupStarts: Set<Int> = [4, 6, 8, 10]
}

extension Identifier {
    /// A fresh identifier that sorts after every one made in an earlier millisecond (`TimeOrderedUUID`).
    public static func timeOrdered() -> Self { Self(rawValue: TimeOrderedUUID.make()) }
}
