import Foundation

/// Bitcoin's Base58 with a 4-byte double-SHA-256 checksum: how WIF private keys and extended
/// keys are written.
enum Base58Check {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(value) }
        return table
    }()

    static func isBase58(_ byte: UInt8) -> Bool { byte < 128 && values[Int(byte)] >= 0 }

    /// The payload (without its checksum) when `text` is Base58 with a valid checksum.
    static func decode(_ text: Substring, sha256: (Data) -> Data) -> Data? {
        var bytes: [UInt8] = []  // big-endian magnitude
        var leadingZeros = 0
        var seenOther = false
        for byte in text.utf8 {
            guard byte < 128, case let value = values[Int(byte)], value >= 0 else { return nil }
            if value == 0 && !seenOther { leadingZeros += 1 } else { seenOther = true }
            var carry = Int(value)
            for position in stride(from: bytes.count - 1, through: 0, by: -1) {
                carry += Int(bytes[position]) * 58
                bytes[position] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 {
                bytes.insert(UInt8(carry & 0xFF), at: 0)
                carry >>= 8
            }
        }
        let full = Data(repeating: 0, count: leadingZeros) + Data(bytes)
        guard full.count > 4 else { return nil }
        let payload = full.prefix(full.count - 4)
        let checksum = sha256(sha256(Data(payload))).prefix(4)
        return Data(full.suffix(4)) == Data(checksum) ? Data(payload) : nil
    }
}
