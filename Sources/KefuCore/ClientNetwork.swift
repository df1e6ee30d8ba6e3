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

    /// `text` as an IP address ("203.0.113.7", "2001:db8::1"), with a port or brackets a proxy
    /// may add ("203.0.113.7:8443", "[2001:db8::1]:8443") dropped; nil when it is not one. IPv4
    /// must be four decimal numbers 0–255 without leading zeros (no "010.1", "0x0a…", "10.1").
    public static func address(_ text: String) -> String? {
        var candidate = Substring(text)
        if candidate.hasPrefix("[") {
            guard let close = candidate.firstIndex(of: "]") else { return nil }
            let rest = candidate[candidate.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber) && rest.count > 1) else { return nil }
            candidate = candidate[candidate.index(after: candidate.startIndex)..<close]
        } else if candidate.filter({ $0 == ":" }).count == 1 {
            let parts = candidate.split(separator: ":", omittingEmptySubsequences: false)
            guard parts[1].allSatisfy(\.isNumber), !parts[1].isEmpty else { return nil }
            candidate = parts[0]
        }
        if candidate.contains(":") { return expand(String(candidate).lowercased()).count == 8 ? String(candidate).lowercased() : nil }
        let octets = candidate.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4,
            octets.allSatisfy({ octet in
                (1...3).contains(octet.count) && octet.allSatisfy(\.isASCII) && octet.allSatisfy(\.isNumber)
                    && (octet == "0" || octet.first != "0") && (Int(octet) ?? 256) <= 255
            })
        else { return nil }
        return String(candidate)
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
