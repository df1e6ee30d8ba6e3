import Foundation
import HTTPTypes
import Hummingbird

/// Refuses a cookie-authenticated WebSocket upgrade from another site (cross-site WebSocket
/// hijacking): browsers send cookies with WebSocket handshakes but no CSRF header, so the
/// `Origin` must name Kefu's own host (compared like SameSite: host, not port). Bearer-token
/// clients send no cookie and are not affected.
struct SameOriginWebSocketGate: RouterMiddleware {
    typealias Context = KefuRequestContext
    let publicURL: String

    static func host(of authority: String) -> String {
        // "[::1]:8080" → "[::1]", "kefu.example:443" → "kefu.example"
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") { return String(authority[...end]).lowercased() }
        return String(authority.split(separator: ":").first ?? "").lowercased()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.headers[.authorization] == nil, let origin = request.headers[.origin] {
            // One origin only; a browser never sends two.
            guard !origin.contains(","), let originHost = URL(string: origin)?.host?.lowercased() else { throw APIError.forbidden }
            let ownHosts = [request.head.authority.map(Self.host(of:)), URL(string: publicURL)?.host?.lowercased()].compactMap { $0 }
            guard ownHosts.contains(originHost) || ownHosts.contains("[\(originHost)]") else { throw APIError.forbidden }
        }
        return try await next(request, context)
    }
}
