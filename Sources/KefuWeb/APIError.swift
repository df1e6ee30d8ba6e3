import Foundation
import HTTPTypes
import Hummingbird
import KefuCore
import KefuLocalization
import NIOCore

/// Every error the API shows a client, rendered as RFC 9457 `application/problem+json` with a
/// stable `code` and a message in the client's language (Accept-Language).
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case unauthenticated
        case invalidCredentials
        case otpRequired
        case invalidOTP
        case tooManyAttempts(retryAfter: Int)
        /// One chat session (a visitor's, an agent's) already has as many sockets open as it may.
        case tooManySockets(limit: Int)
        case forbidden
        case twoFactorEnrollmentRequired
        case passwordChangeRequired
        case csrf
        case notFound(String)
        case routeNotFound
        /// The path exists for the methods in `allowed` (answered in `Allow`).
        case methodNotAllowed(allowed: [String])
        case invalidJSON(String)
        case validation([(String, FieldProblem)])
        case unsupportedMediaType
        case bodyTooLarge
        /// The body broke off or was not valid HTTP (a malformed chunk): not a size problem.
        case unreadableBody
        /// A `Transfer-Encoding` other than plain `chunked` (RFC 9112 §6.1: 501).
        case transferCodingNotSupported
        case conflict(String)
        /// A mailed link's token that is unknown, used or expired.
        case invalidToken
        /// Four eyes: the person who asked for something cannot also approve it.
        case approvalByRequester
        /// The decision service was asked about an asset that is not on the policy's list.
        case assetNotSupported(String)
        case internalError
        /// Telegram does not know the bot token an admin gave.
        case telegramTokenRefused
        /// Telegram could not be reached to check something now.
        case telegramUnavailable
        /// The Markdown renderer is full or slow right now (retry after a few seconds).
        case rendererBusy
        /// A queued chat reply's mail is composed only when it is due (ChatReplyMail.swift).
        case mailNotComposed

        static func == (lhs: Kind, rhs: Kind) -> Bool { lhs.code == rhs.code }

        var code: String {
            switch self {
            case .unauthenticated: "unauthenticated"
            case .invalidCredentials: "invalid_credentials"
            case .otpRequired: "otp_required"
            case .invalidOTP: "invalid_otp"
            case .tooManyAttempts: "too_many_attempts"
            case .tooManySockets: "too_many_sockets"
            case .forbidden: "forbidden"
            case .twoFactorEnrollmentRequired: "two_factor_enrollment_required"
            case .passwordChangeRequired: "password_change_required"
            case .csrf: "csrf_failed"
            case .notFound(let what): "\(what)_not_found"
            case .routeNotFound: "route_not_found"
            case .methodNotAllowed: "method_not_allowed"
            case .invalidJSON: "invalid_json"
            case .validation: "validation_failed"
            case .unsupportedMediaType: "unsupported_media_type"
            case .bodyTooLarge: "body_too_large"
            case .unreadableBody: "unreadable_body"
            case .transferCodingNotSupported: "transfer_coding_not_supported"
            case .conflict(let what): "\(what)_conflict"
            case .invalidToken: "invalid_token"
            case .approvalByRequester: "approval_by_requester"
            case .assetNotSupported: "asset_not_supported"
            case .internalError: "internal_error"
            case .telegramTokenRefused: "telegram_token_refused"
            case .telegramUnavailable: "telegram_unavailable"
            case .rendererBusy: "renderer_busy"
            case .mailNotComposed: "mail_not_composed"
            }
        }
    }

    let kind: Kind

    public var code: String { kind.code }

    public static let unauthenticated = APIError(kind: .unauthenticated)
    public static let invalidCredentials = APIError(kind: .invalidCredentials)
    public static let otpRequired = APIError(kind: .otpRequired)
    public static let invalidOTP = APIError(kind: .invalidOTP)
    public static let forbidden = APIError(kind: .forbidden)
    public static let twoFactorEnrollmentRequired = APIError(kind: .twoFactorEnrollmentRequired)
    public static let passwordChangeRequired = APIError(kind: .passwordChangeRequired)
    public static let csrf = APIError(kind: .csrf)
    public static let routeNotFound = APIError(kind: .routeNotFound)
    public static let unsupportedMediaType = APIError(kind: .unsupportedMediaType)
    public static let bodyTooLarge = APIError(kind: .bodyTooLarge)
    public static let unreadableBody = APIError(kind: .unreadableBody)
    public static let transferCodingNotSupported = APIError(kind: .transferCodingNotSupported)
    public static let internalError = APIError(kind: .internalError)
    public static let invalidToken = APIError(kind: .invalidToken)
    public static let approvalByRequester = APIError(kind: .approvalByRequester)
    public static let telegramTokenRefused = APIError(kind: .telegramTokenRefused)
    public static let telegramUnavailable = APIError(kind: .telegramUnavailable)
    public static let rendererBusy = APIError(kind: .rendererBusy)
    public static let mailNotComposed = APIError(kind: .mailNotComposed)
    public static func tooManyAttempts(retryAfter: Int) -> APIError { APIError(kind: .tooManyAttempts(retryAfter: retryAfter)) }
    public static func tooManySockets(limit: Int) -> APIError { APIError(kind: .tooManySockets(limit: limit)) }
    public static func assetNotSupported(_ asset: String) -> APIError { APIError(kind: .assetNotSupported(asset)) }
    public static func notFound(_ what: String) -> APIError { APIError(kind: .notFound(what)) }
    public static func invalidJSON(_ detail: String) -> APIError { APIError(kind: .invalidJSON(detail)) }
    public static func conflict(_ what: String) -> APIError { APIError(kind: .conflict(what)) }
    public static func validation(_ failure: ValidationFailure) -> APIError {
        APIError(kind: .validation(failure.fields.map { ($0.name, $0.problem) }))
    }
    public static func validation(_ field: String, _ problem: FieldProblem) -> APIError {
        APIError(kind: .validation([(field, problem)]))
    }

    public var status: HTTPResponse.Status {
        switch kind {
        case .unauthenticated, .invalidCredentials, .otpRequired, .invalidOTP: .unauthorized
        case .tooManyAttempts, .tooManySockets: .tooManyRequests
        case .forbidden, .twoFactorEnrollmentRequired, .passwordChangeRequired, .csrf, .approvalByRequester: .forbidden
        case .notFound, .routeNotFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .invalidJSON, .validation, .invalidToken, .unreadableBody, .telegramTokenRefused: .badRequest
        case .telegramUnavailable, .rendererBusy: .serviceUnavailable
        case .unsupportedMediaType: .unsupportedMediaType
        case .bodyTooLarge: .contentTooLarge
        case .conflict, .mailNotComposed: .conflict
        case .assetNotSupported: .unprocessableContent
        case .internalError: .internalServerError
        case .transferCodingNotSupported: .notImplemented
        }
    }

    /// The human message, in the request's language (the catalog's `problem_<code>`).
    func message(_ locale: UILocale) -> String {
        let catalog = Catalog.standard
        switch kind {
        case .tooManyAttempts(let seconds): return catalog.text(.problem("too_many_attempts"), locale, ["seconds": String(seconds)])
        case .tooManySockets(let limit): return catalog.text(.problem("too_many_sockets"), locale, ["limit": String(limit)])
        case .notFound(let what): return catalog.text(.problem("not_found"), locale, ["thing": Self.thing(what, locale)])
        case .conflict(let what): return catalog.text(.problem("conflict"), locale, ["thing": Self.thing(what, locale)])
        case .invalidJSON(let detail): return catalog.text(.problem("invalid_json"), locale, ["detail": detail])
        case .assetNotSupported(let asset): return catalog.text(.problem("asset_not_supported"), locale, ["asset": asset])
        case .validation(let fields):
            // Fields in order, each with the rules it broke when they have words (passwords).
            var order: [String] = []
            var rules: [String: [String]] = [:]
            for (name, problem) in fields {
                if !order.contains(name) { order.append(name) }
                if case .rule(let code) = problem, catalog.contains(.problemRule(code)) {
                    rules[name, default: []].append(catalog.text(.problemRule(code), locale))
                }
            }
            let names = order.map { name in
                guard let list = rules[name] else { return name }
                let joined = list.joined(separator: catalog.text(.problemRulesSeparator, locale))
                return catalog.text(.problemFieldWithRules, locale, ["name": name, "rules": joined])
            }.joined(separator: ", ")
            return catalog.text(.problem("validation_failed"), locale, ["fields": names])
        case .methodNotAllowed: return catalog.text(.problem("method_not_allowed"), locale)
        default: return catalog.text(.problem(code), locale)
        }
    }

    /// The thing a not-found or conflict names, in the reader's words.
    private static func thing(_ what: String, _ locale: UILocale) -> String {
        let catalog = Catalog.standard
        let key = TextKey.problemThing(what)
        return catalog.contains(key) ? catalog.text(key, locale) : catalog.text(.problemThingOther, locale, ["thing": what])
    }

    struct Body: Encodable {
        struct Field: Encodable {
            let name: String
            let code: String
            let max: Int?
            let min: Int?
            let allowed: [String]?
        }
        let type: String
        let title: String
        let status: Int
        let code: String
        let detail: String
        let errors: [Field]?
        let retryAfter: Int?
    }

    func body(locale: UILocale) -> Body {
        var fields: [Body.Field]?
        if case .validation(let list) = kind {
            fields = list.map { name, problem in
                var max: Int?
                var min: Int?
                var allowed: [String]?
                switch problem {
                case .tooLong(let value): max = value
                case .tooShort(let value): min = value
                case .notOneOf(let values): allowed = values
                default: break
                }
                return Body.Field(name: name, code: problem.code, max: max, min: min, allowed: allowed)
            }
        }
        var retryAfter: Int?
        if case .tooManyAttempts(let seconds) = kind { retryAfter = seconds }
        return Body(
            type: "https://kefu.dev/problems/\(code)", title: status.reasonPhrase, status: status.code, code: code,
            detail: message(locale), errors: fields, retryAfter: retryAfter)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let locale = UILocale.negotiate(acceptLanguage: request.headers[.acceptLanguage])
        let data = try JSONEncoder.api.encode(body(locale: locale))
        var headers: HTTPFields = [.contentType: "application/problem+json", .contentLanguage: locale.rawValue]
        if case .tooManyAttempts(let seconds) = kind { headers[.retryAfter] = String(seconds) }
        if case .tooManySockets = kind { headers[.retryAfter] = "5" }
        if case .rendererBusy = kind { headers[.retryAfter] = "5" }
        if case .methodNotAllowed(let allowed) = kind, !allowed.isEmpty { headers[.allow] = allowed.joined(separator: ", ") }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}

extension JSONEncoder {
    /// The API's encoder: ISO 8601 dates, stable key order.
    static let api: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
