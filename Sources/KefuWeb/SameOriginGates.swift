import Foundation
import HTTPTypes
import Hummingbird

/// Kefu's own origins, as a browser's `Origin` names them: the origin of KEFU_PUBLIC_URL and
/// the host and port the request was sent to (its `Host`), over HTTP or HTTPS (a TLS proxy in
/// front passes the Host on). Scheme, host and port all count:
/// another port on the same host is another origin, and its pages can set cookies for this one
/// (cookies are not separated by port), so host alone is not enough.
struct OwnOrigin: Sendable {
    let publicOrigin: String?

    init(publicURL: String) {
        publicOrigin = URL(string: publicURL).flatMap(Self.origin(of:))
    }

    /// "scheme://host[:port]" lowercased, without the scheme's default port; nil for anything
    /// that is not an http(s) origin ("null", lists, paths, user info).
    static func origin(of url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", var host = url.host?.lowercased(), !host.isEmpty,
            url.user == nil, url.password == nil
        else { return nil }
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }  // an IPv6 literal, as Origin writes it
        let defaultPort = scheme == "https" ? 443 : 80
        let port = url.port.map { $0 == defaultPort ? "" : ":\($0)" } ?? ""
        return "\(scheme)://\(host)\(port)"
    }

    /// Whether `origin` (one `Origin` header value) is one of Kefu's own.
    func admits(_ origin: String, request: Request) -> Bool {
        guard !origin.contains(","), !origin.contains(" "), !origin.contains("#"), !origin.contains("?"), let url = URL(string: origin),
            url.path.isEmpty || url.path == "/",
            let sent = Self.origin(of: url)
        else { return false }
        // The Host the browser sent, over either scheme: a TLS proxy in front keeps the Host.
        let direct = request.head.authority.map { authority in
            ["http", "https"].compactMap { URL(string: "\($0)://\(authority)").flatMap(Self.origin(of:)) }
        } ?? []
        return sent == publicOrigin || direct.contains(sent)
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
/// subdomain, another port or plain HTTP on the same host), which a double-submit token alone
/// cannot see: signing a victim into the attacker's account (login CSRF). Browsers send `Origin` on every
/// POST and `Sec-Fetch-Site` on every request, and each must name this origin; a client that
/// sends neither (curl, an old browser) is left to the CSRF token.
struct SameOriginFormGate: RouterMiddleware {
    typealias Context = KefuRequestContext
    let origin: OwnOrigin

    init(publicURL: String) { origin = OwnOrigin(publicURL: publicURL) }

    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method != .get, request.method != .head {
            // Each header a browser sent must say "this origin"; either alone is enough to refuse.
            // "none": typed by the person (a bookmark); "same-site" would let a sibling
            // subdomain, or another port of this host, through.
            if let sent = request.headers[.origin], !origin.admits(sent, request: request) { throw APIError.csrf }
            if let site = request.headers[Self.fetchSite]?.lowercased(), site != "same-origin", site != "none" { throw APIError.csrf }
        }
        return try await next(request, context)
    }
}
