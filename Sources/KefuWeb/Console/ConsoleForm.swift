import Foundation
import HTTPTypes
import Hummingbird
import KefuCore

/// A submitted console form: fields from an urlencoded body, with the CSRF token checked.
struct ConsoleForm {
    let fields: [String: String]

    static let limit = 64 << 10

    /// Reads the form; throws `APIError.csrf` unless `_csrf` matches `expectedCSRF`.
    static func read(_ request: Request, expectedCSRF: String?, limit: Int = limit) async throws -> ConsoleForm {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else { throw APIError.unsupportedMediaType }
        let buffer = try await request.body.collectWhole(upTo: limit)
        let form = ConsoleForm(fields: parse(String(buffer: buffer)))
        guard let expectedCSRF, let sent = form["_csrf"], constantTimeEquals(expectedCSRF, sent) else { throw APIError.csrf }
        return form
    }

    /// A public form without a session (the help center's "was this helpful?"): the route's
    /// same-origin gate stands in for the token.
    static func readPublic(_ request: Request) async throws -> ConsoleForm {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else { throw APIError.unsupportedMediaType }
        let buffer = try await request.body.collectWhole(upTo: limit)
        return ConsoleForm(fields: parse(String(buffer: buffer)))
    }

    subscript(_ name: String) -> String? { fields[name] }

    static func parse(_ body: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let name = parts.first else { continue }
            result[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }
}

/// See-other redirect after a form post, so reloading never re-submits.
func redirect(_ location: String) -> Response {
    Response(status: .seeOther, headers: [.location: location])
}
