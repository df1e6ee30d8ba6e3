import Foundation
import HTTPTypes
import Hummingbird
import KefuCore
import KefuStore
import Logging

/// Turns every error into the response a client can act on: problem+json for the API, a short
/// HTML page for the console. Unexpected errors become a bare 500; their detail goes to the log only.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The API's routes: a path that exists for other methods is `405` with `Allow`, not `404`.
    let catalog: RouteCatalog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, logger: context.logger)
            if let routing = error as? HTTPError, routing.status == .notFound {
                let allowed = catalog.methods(matching: request.uri.path)
                if !allowed.isEmpty { problem = APIError(kind: .methodNotAllowed(allowed: allowed)) }
            }
            if request.uri.path.hasPrefix("/console") || request.uri.path.hasPrefix("/account") || request.uri.path == "/" || request.uri.path == "/help"
                || request.uri.path.hasPrefix("/help/")
            {
                return ErrorPage.response(problem, request: request)
            }
            return try problem.response(from: request, context: context)
        }
    }

    static func problem(for error: any Error, logger: Logger) -> APIError {
        if case StoreError.conflict(let what) = error { logger.info("conflict", metadata: ["detail": "\(what)"]) }
        if case StoreError.undecodable(let what) = error { logger.error("a stored row could not be read", metadata: ["detail": "\(what)"]) }
        if let problem = APIError(domain: error) { return problem }
        switch error {
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .routeNotFound
            case .contentTooLarge: return .bodyTooLarge
            case .methodNotAllowed: return APIError(kind: .methodNotAllowed(allowed: []))
            case .unsupportedMediaType: return .unsupportedMediaType
            case .badRequest: return .invalidJSON(error.body ?? "bad request")
            default:
                logger.error("unexpected HTTP error", metadata: ["error": "\(error)"])
                return .internalError
            }
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return .internalError
        }
    }
}

/// Adds the request id to every response and the security headers every page needs.
/// Strict: no inline script or style anywhere, so injected markup cannot run.
let contentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    + "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"

struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.init("X-Request-Id")!] = context.id
        // A route may set its own policy (the chat widget's frame may be embedded anywhere).
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = contentSecurityPolicy
            response.headers[.init("X-Frame-Options")!] = "DENY"
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "same-origin"
        if response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}
