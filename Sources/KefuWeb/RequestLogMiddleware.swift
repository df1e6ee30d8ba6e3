import Foundation
import Hummingbird
import Logging

/// One structured log line per request (with Hummingbird's request id in the metadata), with
/// secrets in the query string (`token=`, the widget's session token) replaced by `***`.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    static func redacted(_ uri: String) -> String {
        guard let question = uri.firstIndex(of: "?") else { return uri }
        let query = uri[uri.index(after: question)...].split(separator: "&").map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return ["token", "password", "code", "q", "filename", "value"].contains(name.lowercased()) ? "\(name)=***" : String(pair)
        }
        return String(uri[..<question]) + "?" + query.joined(separator: "&")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.info(
            "request", metadata: ["hb.request.method": "\(request.method)", "hb.request.path": "\(Self.redacted(request.uri.description))"])
        return try await next(request, context)
    }
}
