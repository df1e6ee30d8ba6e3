import HTTPTypes
import Hummingbird

/// Refuses a request body in any transfer coding but plain `chunked` (`gzip, chunked` was read as
/// chunked with the gzip ignored). A proxy in front that reads the codings differently would
/// frame the request differently from Kefu: the ground for request smuggling. RFC 9112 §6.1
/// answers an unknown coding with 501.
struct TransferCodingGate<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let codings = request.headers[values: .transferEncoding].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if !codings.isEmpty, codings != ["chunked"] { throw APIError.transferCodingNotSupported }
        return try await next(request, context)
    }
}
