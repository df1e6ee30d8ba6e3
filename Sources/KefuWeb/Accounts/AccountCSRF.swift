import Crypto
import Foundation
import KefuAccounts

/// The CSRF token of the account pages' forms. A browser with a session carries a token bound
/// to that session, as the console's per-session token is: an HMAC of the session token under a
/// key derived from KEFU_SECRET_KEY, so a token from another session (or a cookie planted by
/// a sibling subdomain) does not pass, and nothing is stored. Only a browser without a session
/// (sign-in, registration, the pages a mailed link opens) uses a double-submit cookie, which is
/// what stops login CSRF there.
struct AccountCSRF: Sendable {
    /// Bytes, not a SymmetricKey: the struct crosses tasks and SymmetricKey is not Sendable.
    private let keyBytes: Data

    init(secretKey: Data) {
        keyBytes = SecretBox.derive(secretKey: secretKey, purpose: "account-csrf")
    }

    /// The token for the session behind this session cookie value.
    func token(session: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(session.utf8), using: SymmetricKey(data: keyBytes))).base64URL
    }
}
