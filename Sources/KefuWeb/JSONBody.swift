import Foundation
import Hummingbird
import KefuCore
import NIOCore

extension Request {
    /// Reads and decodes a JSON body with the checks every API write makes: the content type
    /// is JSON, the body is within `limit` bytes, and every field has the right type. Each
    /// failure is a problem+json error; nothing has been changed when one is thrown.
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let contentType = headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard contentType == "application/json" || contentType?.hasSuffix("+json") == true else {
            throw APIError.unsupportedMediaType
        }
        if let length = headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.bodyTooLarge }
        let buffer = try await body.collectWhole(upTo: limit)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw Self.problem(for: error)
        } catch let error as ValidationFailure {
            throw APIError.validation(error)
        }
    }

    /// `decodeJSON`, or `fallback` when the request has no body at all (an action whose
    /// options are all optional: `POST …/publish` with or without `{"version": 3}`).
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int, whenEmpty fallback: T) async throws -> T {
        let length = headers[.contentLength].flatMap(Int.init)
        if length == 0 || (length == nil && headers[.contentType] == nil && headers[.transferEncoding] == nil) { return fallback }
        return try await decodeJSON(type, limit: limit)
    }

    static func problem(for error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context, _ extra: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (extra.map { [$0] } ?? [])
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .validation(path(context, key), .required)
        case .typeMismatch(_, let context):
            return .validation(path(context), .invalid)
        case .valueNotFound(_, let context):
            return .validation(path(context), .required)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .invalidJSON(context.debugDescription) }
            return .validation(path(context), .invalid)
        @unknown default:
            return .invalidJSON("unreadable body")
        }
    }
}

/// Query parameters, parsed strictly: a malformed value is a 400, never silently ignored.
struct QueryReader {
    let request: Request

    /// The raw value; nil only when the parameter is absent (an empty value is a value).
    func string(_ name: String) -> String? {
        request.uri.queryParameters.get(name)
    }

    func int(_ name: String, range: ClosedRange<Int64> = 0...Int64.max) throws -> Int64? {
        guard let raw = string(name) else { return nil }
        guard let value = Int64(raw), range.contains(value) else { throw APIError.validation(name, .invalid) }
        return value
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_ name: String, as type: E.Type) throws -> E? where E.RawValue == String {
        guard let raw = string(name) else { return nil }
        guard let value = E(rawValue: raw) else {
            throw APIError.validation(name, .notOneOf(E.allCases.map(\.rawValue)))
        }
        return value
    }

    func id<Tag>(_ name: String, as type: Identifier<Tag>.Type) throws -> Identifier<Tag>? {
        guard let raw = string(name) else { return nil }
        guard let value = Identifier<Tag>(validating: raw) else { throw APIError.validation(name, .invalid) }
        return value
    }
}

extension Parameters {
    /// A path id; an id that is not a UUID cannot name anything, so it is a plain 404.
    func id<Tag>(_ name: String, as type: Identifier<Tag>.Type, thing: String) throws -> Identifier<Tag> {
        guard let raw = self.get(name), let value = Identifier<Tag>(validating: raw) else { throw APIError.notFound(thing) }
        return value
    }
}

/// JSON responses with the API encoder.
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    let value: Value

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONEncoder.api.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}

extension RequestBody {
    /// The whole body, at most `limit` bytes: `body_too_large` past it, `unreadable_body` when
    /// it broke off or was not valid HTTP (a malformed chunk), never one for the other.
    func collectWhole(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge
        } catch {
            throw APIError.unreadableBody
        }
    }
}

/// A query parameter as an HTML form sends it (`application/x-www-form-urlencoded`): `+` is a
/// space and `%2B` a plus. `request.uri.queryParameters` keeps `+` as written, which turns a
/// search for "reset password" into "reset+password". For the help center's free-text fields
/// (search, verify); other parameters keep the strict reading (`a+b@example.com`).
enum FormQuery {
    static func value(_ request: Request, _ name: String) -> String? {
        guard let query = request.uri.query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = parts.first, decode(key) == name else { continue }
            return parts.count > 1 ? decode(parts[1]) : ""
        }
        return nil
    }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
