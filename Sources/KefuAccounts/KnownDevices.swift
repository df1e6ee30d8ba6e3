import Crypto
import Foundation
import KefuCore

/// A browser or app that has signed in to an account before, proven by a token Kefu gave it
/// then. Its guesses at that account are counted on their own, so a stranger who keeps failing
/// against the account (one wrong password whenever the wait allows) slows down strangers but
/// never keeps the owner out on a device they have used (OWASP's "device cookies"). A new or
/// lost device shares the account's limit with everyone else; a password reset by mail clears it.
///
/// The token is a random device id and an HMAC over the account, that id and the account's
/// current password hash (its "stamp"), under a key derived from KEFU_SECRET_KEY: nothing is
/// stored, a token works only for the account that earned it, and every token of an account
/// stops working when its password changes (a reset by mail revokes a stolen one).
public struct KnownDevices: Sendable {
    /// Bytes, not a SymmetricKey: the struct crosses tasks and SymmetricKey is not Sendable.
    private let keyBytes: Data

    public init(secretKey: Data) {
        keyBytes = SecretBox.derive(secretKey: secretKey, purpose: "known-device")
    }

    /// A token for this device, after a successful sign-in to `account` (a throttle key such as
    /// "customer:<email>"). An existing token of the same account keeps its device id.
    public func token(account: String, stamp: String, current: String? = nil) -> String {
        let id = deviceId(current, account: account, stamp: stamp) ?? RandomToken.make(bytes: 16)
        return "\(id).\(mac(account: account, id: id, stamp: stamp))"
    }

    /// The device id in `token` when it was issued for `account` with its password as it is
    /// (`stamp`); nil for anything else, and for an account that does not exist (no stamp).
    public func deviceId(_ token: String?, account: String, stamp: String?) -> String? {
        guard let token, let stamp, token.count <= 100 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, constantTimeEquals(mac(account: account, id: String(parts[0]), stamp: stamp), String(parts[1]))
        else { return nil }
        return String(parts[0])
    }

    /// The throttle keys for a guess at `account` from `address`: a known device is counted on
    /// its own (the account's limit, not the address's: an attacker behind the owner's office
    /// address cannot use it up either); anyone else against the account and the address.
    public func guessKeys(account: String, address: String?, device: String?, stamp: String?) -> [(String, ThrottlePolicy)] {
        if let id = deviceId(device, account: account, stamp: stamp) { return [("\(account)#device:\(id)", .perAccount)] }
        return [(account, .perAccount), ("address:\(ClientNetwork.key(address))", .perAddress)]
    }

    /// Counts a guess at `account` and reads what it is checked against, in the order that keeps
    /// throttled guesses cheap: a device token is checked against the current password, so with
    /// one the lookup comes first; without one the attempt is counted before anything is read (a
    /// throttled guess costs no database work and is answered at once however busy the database
    /// is). `stamp` is the found account's password hash.
    public func admitGuess<Found: Sendable>(
        at account: String, address: String?, device: String?, throttle: any CredentialThrottle,
        lookup: () async throws -> Found?, stamp: (Found) -> String
    ) async throws -> (ticket: ThrottleTicket, keys: [(String, ThrottlePolicy)], found: Found?) {
        var found = device == nil ? nil : try await lookup()
        let keys = guessKeys(account: account, address: address, device: device, stamp: found.map(stamp))
        let ticket = try await throttle.admit(keys)
        if device == nil { found = try await lookup() }
        return (ticket, keys, found)
    }

    private func mac(account: String, id: String, stamp: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(account)\n\(id)\n\(stamp)".utf8), using: SymmetricKey(data: keyBytes))
        return Data(code.prefix(16)).base64URL
    }
}
