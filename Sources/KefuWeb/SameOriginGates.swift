import Foundation
import HTTPTypes
import Hummingbird

/// Kefu's own hosts, as a browser's `Origin` names them: the host the request was sent to and
/// the host of KEFU_PUBLIC_URL (a proxy may rewrite Host). Compared like SameSite: host, not
/// port or scheme.
struct OwnOrigin: Sendable {
    let publicURL: String

    static func host(of authority: String) -> String {
        // "[::1]:8080" → "[::1]", "kefu.example:443" → "kefu.example"
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") { return String(authority[...end]).lowercased() }
        return String(authority.split(separator: ":").first ?? "").lowercased()
    }

    /// Whether `origin` (one `Origin` header value) names one of Kefu's own hosts. "null" (a
    /// sandboxed frame, a data: page) and lists never do.
    func admits(_ origin: String, request: Request) -> Bool {
        guard !origin.contains(","), let originHost = URL(string: origin)?.host?.lowercased() else { return false }
        let ownHosts = [request.head.authority.map(Self.host(of:)), URL(string: publicURL)?.host?.lowercased()].compactMap { $0 }
        return ownHosts.contains(originHost) || ownHosts.contains("[\(originHost)]")
    }
}

/// Refuses a cookie-authenticated WebSocket upgrade from another site (cross-site WebSocket
/// hijacking): browsers send cookies with WebSocket handshakes but no CSRF header, so the
/// `Origin` must name Kefu's own host. Bearer-token clients send no cookie and are not affected.
struct SameOriginWebSocketGate: RouterMiddleware {
    typealias Context = KefuRequestContext
    let origin: OwnOrigin

    init(publicURL: String) { origin = OwnOrigin(publicURL: publicURL) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.headers[.authorization] == nil, let sent = request.headers[.origin], !origin.admits(sent, request: request) {
            throw APIError.forbidden
        }
        return try await next(request, context)
    }
}

/// Refuses a form post to the console or the account pages that a browser says came from
/// another origin. The forms' CSRF tokens already stop a post from a page that cannot read
/// Kefu's cookies; this also stops one from a page that could plant a cookie (a sibling
/// subdomain, or plain HTTP on the same host), which a double-submit token alone cannot see:
/// signing a victim into the attacker's account (login CSRF). Browsers send `Origin` on every
/// cross-origin POST, and `Sec-Fetch-Site` on every request; a client that sends neither (curl,
/// an old browser) is left to the CSRF token.
struct SameOriginFormGate: RouterMiddleware {
    typealias Context = KefuRequestContext
    let origin: OwnOrigin

    init(publicURL: String) { origin = OwnOrigin(publicURL: publicURL) }

    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method != .get, request.method != .head {
            if let sent = request.headers[.origin] {
                guard origin.admits(sent, request: request) else { throw APIError.csrf }
            } else if let site = request.headers[Self.fetchSite]?.lowercased() {
                // "none": typed by the person (a bookmark); "same-site" would let a sibling
                // subdomain through.
                guard site == "same-origin" || site == "none" else { throw APIError.csrf }
            }
        }
        return try await next(request, context)
    }
}
