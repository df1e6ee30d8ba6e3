import Foundation

/// The network a client address stands for when Kefu limits "per address". One IPv4 address is
/// one client; an IPv6 client usually holds a whole /64 (SLAAC, privacy addresses), so keying
/// limits by the full address would give one attacker 2^64 fresh budgets. IPv4-mapped IPv6
/// addresses are their IPv4 address.
public enum ClientNetwork {
    public static func key(_ address: String?) -> String {
        guard let address, !address.isEmpty else { return "unknown" }
        guard address.contains(":") else { return address }
        let groups = expand(address.lowercased())
        guard groups.count == 8 else { return address.lowercased() }
        if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xffff {
            return "\(groups[6] >> 8).\(groups[6] & 0xff).\(groups[7] >> 8).\(groups[7] & 0xff)"
        }
        return groups[0..<4].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of an IPv6 address ("::" expanded, a trailing IPv4 part
    /// converted, a zone id dropped); fewer when it is not one.
    static func expand(_ text: String) -> [UInt16] {
        let address = text.split(separator: "%").first.map(String.init) ?? text
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                if piece.contains(".") {
                    let octets = piece.split(separator: ".").compactMap { UInt8($0) }
                    guard octets.count == 4 else { return nil }
                    result += [UInt16(octets[0]) << 8 | UInt16(octets[1]), UInt16(octets[2]) << 8 | UInt16(octets[3])]
                } else {
                    guard let value = UInt16(piece, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        let halves = address.components(separatedBy: "::")
        switch halves.count {
        case 1: return groups(Substring(address)) ?? []
        case 2:
            guard let head = groups(Substring(halves[0])), let tail = groups(Substring(halves[1])), head.count + tail.count < 8 else { return [] }
            return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        default: return []
        }
    }
}
