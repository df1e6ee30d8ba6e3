import KefuCore
import Hummingbird

/// Behind a reverse proxy (KEFU_TRUST_PROXY) every connection comes from the proxy, so the
/// per-address limits would throttle all customers together and the security history would show
/// the proxy. The client is then the address the proxy appended: the *last* X-Forwarded-For
/// entry. Earlier entries come from the client and prove nothing (an attacker would write a new
/// one per guess to escape the limits).
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext
    let trustForwardedFor: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard trustForwardedFor, let address = Self.appendedByProxy(request.headers[values: .init("X-Forwarded-For")!]) else {
            return try await next(request, context)
        }
        var context = context
        context.peerAddress = address
        return try await next(request, context)
    }

    /// The last hop of every X-Forwarded-For header line together (proxies may add a line), as
    /// an IP address; nil (the connection's own peer is kept) when it is not one. Some proxies
    /// write "ip:port" or "[v6]:port": the port is dropped. Anything else used as written would
    /// give every new spelling a fresh budget under every per-address limit.
    static func appendedByProxy(_ lines: [String]) -> String? {
        let hops = lines.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let last = hops.last, last.count <= 64 else { return nil }
        return ClientNetwork.address(last)
    }
}
