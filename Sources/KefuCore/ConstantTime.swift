import Foundation

/// Compares two secrets (codes, tokens, digests) in time that does not depend on where they
/// differ, so an attacker cannot learn a prefix from response times.
public func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    let a = Array(lhs.utf8)
    let b = Array(rhs.utf8)
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
