import Foundation

/// Where Kefu may send webhooks. An admin types a URL, but Kefu is the one that connects: a URL
/// (or a DNS name that later resolves) pointing at loopback, a private network, link-local
/// (cloud metadata at 169.254.169.254) or other special ranges would turn webhooks into a way
/// to reach inside the operator's network. Those are refused unless the operator allows them.
public enum WebhookAddress {
    public static let maxURLLength = 2_000

    /// The URL if it is an absolute http(s) URL with a host and no credentials in it. A host that
    /// is made of digits (and dots, or hex) must be a canonical IPv4 address: "2130706433",
    /// "0x7f.1", "127.1" and "012.0.0.1" are all loopback or private to a resolver.
    public static func validURL(_ text: String) -> URL? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= maxURLLength, let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty, url.user == nil, url.password == nil
        else { return nil }
        let labels = host.split(separator: ".")
        if let last = labels.last, last.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "x" || $0 == "X") }) || last.lowercased().hasPrefix("0x") {
            guard ipv4(host) != nil else { return nil }
        }
        return url
    }

    /// True when `address` (an IPv4 or IPv6 literal) is an ordinary public unicast address.
    public static func isPublic(_ address: String) -> Bool {
        if let v4 = ipv4(address) { return isPublicV4(v4) }
        guard let v6 = ipv6(address) else { return false }
        // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address.
        if v6[0..<5].allSatisfy({ $0 == 0 }) && v6[5] == 0xffff { return isPublicV4(embedded(v6)) }
        if v6[0] == 0x64 && v6[1] == 0xff9b && v6[2..<6].allSatisfy({ $0 == 0 }) { return isPublicV4(embedded(v6)) }
        if v6[0] == 0x64 && v6[1] == 0xff9b { return false }  // local-use NAT64 (64:ff9b:1::/48)
        if v6.allSatisfy({ $0 == 0 }) { return false }  // ::
        if v6[0..<7].allSatisfy({ $0 == 0 }) && v6[7] == 1 { return false }  // ::1
        if v6[0..<6].allSatisfy({ $0 == 0 }) { return false }  // IPv4-compatible (deprecated)
        let first = v6[0]
        if first & 0xfe00 == 0xfc00 { return false }  // fc00::/7 unique local
        if first & 0xffc0 == 0xfe80 { return false }  // fe80::/10 link-local
        if first & 0xffc0 == 0xfec0 { return false }  // fec0::/10 site-local (deprecated)
        if first & 0xff00 == 0xff00 { return false }  // multicast
        if first == 0x2001 && v6[1] == 0x0db8 { return false }  // documentation
        if first == 0x0100 && v6[1...3].allSatisfy({ $0 == 0 }) { return false }  // discard-only
        // Only global unicast (2000::/3) is public, less the ranges that tunnel to any IPv4
        // address (6to4, Teredo) and local-use NAT64.
        guard first & 0xe000 == 0x2000 else { return false }
        if first == 0x2002 { return false }  // 6to4
        if first == 0x2001 && v6[1] == 0 { return false }  // Teredo
        if first & 0xfff0 == 0x3ff0 { return false }  // documentation (3fff::/20)
        return true
    }

    /// An IP literal rather than a name ("203.0.113.9", "2001:db8::1").
    public static func isLiteral(_ host: String) -> Bool {
        ipv4(host) != nil || ipv6(host) != nil
    }

    static func isPublicV4(_ octets: [UInt8]) -> Bool {
        let (a, b) = (octets[0], octets[1])
        switch a {
        case 0, 10, 127: return false  // "this network", private, loopback
        case 100 where (64...127).contains(b): return false  // carrier-grade NAT
        case 169 where b == 254: return false  // link-local, cloud metadata
        case 172 where (16...31).contains(b): return false
        case 192 where b == 168: return false
        case 192 where b == 0 && octets[2] == 0: return false  // IETF protocol assignments
        case 192 where b == 0 && octets[2] == 2: return false  // documentation
        case 198 where b == 18 || b == 19: return false  // benchmarking
        case 198 where b == 51 && octets[2] == 100: return false  // documentation
        case 203 where b == 0 && octets[2] == 113: return false  // documentation
        case 224...255: return false  // multicast, reserved, broadcast
        default: return true
        }
    }

    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        // Canonical dotted decimal only: "012" is octal to the system resolver, so a leading
        // zero is not the number it looks like.
        let octets = parts.compactMap { part -> UInt8? in
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), part == "0" || part.first != "0" else { return nil }
            return UInt8(part)
        }
        return octets.count == 4 ? octets : nil
    }

    /// Eight 16-bit groups, or nil. Accepts "::" compression and a trailing dotted IPv4.
    static func ipv6(_ raw: String) -> [UInt16]? {
        var text = raw.lowercased()
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }  // zone id
        guard text.contains(":") else { return nil }
        // A trailing dotted IPv4 ("::ffff:10.0.0.1") is two groups written another way.
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = ipv4(String(text[text.index(after: lastColon)...])) else { return nil }
            text = String(text[...lastColon]) + String(UInt16(v4[0]) << 8 | UInt16(v4[1]), radix: 16) + ":"
                + String(UInt16(v4[2]) << 8 | UInt16(v4[3]), radix: 16)
        }
        func groups(_ part: Substring) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            let values = pieces.compactMap { piece -> UInt16? in (1...4).contains(piece.count) ? UInt16(piece, radix: 16) : nil }
            return values.count == pieces.count ? values : nil
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        if halves.count == 2 {
            guard let head = groups(Substring(halves[0])), let rest = groups(Substring(halves[1])) else { return nil }
            let missing = 8 - head.count - rest.count
            guard missing >= 1 else { return nil }
            return head + Array(repeating: 0, count: missing) + rest
        }
        guard let all = groups(Substring(text)), all.count == 8 else { return nil }
        return all
    }

    static func embedded(_ v6: [UInt16]) -> [UInt8] {
        [UInt8(v6[6] >> 8), UInt8(v6[6] & 0xff), UInt8(v6[7] >> 8), UInt8(v6[7] & 0xff)]
    }
}
