import Foundation
import KefuCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves a host name to its addresses (the system resolver), so Kefu can check where a
/// webhook would really go and then connect to exactly that address.
enum WebhookResolver {
    /// Every address the system resolver gives for `host` (literals too, so what is checked is
    /// exactly what a connection would use), in canonical numeric form.
    static func addresses(of host: String) async -> [String] {
        // A literal needs no lookup (getaddrinfo only rewrites it canonically, without blocking).
        if WebhookAddress.isLiteral(host) { return resolve(host) }
        return await withCheckedContinuation { continuation in
            // getaddrinfo blocks: keep it off the cooperative pool.
            Thread.detachNewThread {
                continuation.resume(returning: resolve(host))
            }
        }
    }

    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var found: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(cString: buffer)
                if !found.contains(address) { found.append(address) }
            }
            cursor = info.pointee.ai_next
        }
        return found
    }
}

