import Foundation
import HTTPTypes
import Hummingbird
import KefuCore
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
        case .invalidJSON, .validation, .invalidToken, .unreadableBody: .badRequest
        case .unsupportedMediaType: .unsupportedMediaType
        case .bodyTooLarge: .contentTooLarge
        case .conflict: .conflict
        case .assetNotSupported: .unprocessableContent
        case .internalError: .internalServerError
        case .transferCodingNotSupported: .notImplemented
        }
    }

    /// The human message, in the request's language.
    func message(_ locale: UILocale) -> String {
        let zh = locale == .zhCN
        switch kind {
        case .unauthenticated: return zh ? "请先登录。" : "Please log in."
        case .invalidCredentials: return zh ? "邮箱或密码不正确。" : "The email or password is incorrect."
        case .otpRequired: return zh ? "请输入两步验证码。" : "Enter your two-factor authentication code."
        case .invalidOTP: return zh ? "验证码不正确或已使用。" : "The code is incorrect or was already used."
        case .tooManyAttempts(let seconds):
            return zh ? "尝试次数过多，请在 \(seconds) 秒后重试。" : "Too many attempts. Try again in \(seconds) seconds."
        case .tooManySockets(let limit):
            return zh ? "此会话打开的连接过多（最多 \(limit) 个），请关闭其他标签页后重试。" : "This session has too many connections open (at most \(limit)). Close other tabs and try again."
        case .forbidden: return zh ? "您没有执行此操作的权限。" : "You are not allowed to do this."
        case .twoFactorEnrollmentRequired:
            return zh ? "管理员要求所有客服开启两步验证，请先完成设置。" : "Your administrator requires two-factor authentication. Set it up first."
        case .passwordChangeRequired:
            return zh ? "请先把一次性密码改为您自己的密码。" : "Replace your one-time password with your own first."
        case .csrf: return zh ? "页面已过期，请刷新后重试。" : "This page has expired. Reload it and try again."
        case .notFound(let what): return zh ? "找不到该\(Self.zhName(what))。" : "No such \(what)."
        case .routeNotFound: return zh ? "没有这个地址。" : "There is nothing at this address."
        case .methodNotAllowed: return zh ? "此地址不支持该方法。" : "This address does not support that method."
        case .invalidJSON(let detail): return zh ? "请求体不是有效的 JSON：\(detail)" : "The request body is not valid JSON: \(detail)"
        case .validation(let fields):
            // Fields in order, each with the rules it broke when they have words (passwords).
            var order: [String] = []
            var rules: [String: [String]] = [:]
            for (name, problem) in fields {
                if !order.contains(name) { order.append(name) }
                if case .rule(let code) = problem, let text = Self.ruleText[code] { rules[name, default: []].append(zh ? text.zh : text.en) }
            }
            let names = order.map { name in
                guard let list = rules[name] else { return name }
                return zh ? "\(name)（\(list.joined(separator: "；"))）" : "\(name) (\(list.joined(separator: "; ")))"
            }.joined(separator: ", ")
            return zh ? "请检查以下字段：\(names)" : "Check these fields: \(names)"
        case .unsupportedMediaType: return zh ? "请求体必须是 application/json。" : "The request body must be application/json."
        case .bodyTooLarge: return zh ? "请求体过大。" : "The request body is too large."
        case .unreadableBody: return zh ? "无法读取请求体（传输中断或格式错误）。" : "The request body could not be read (it broke off or was malformed)."
        case .transferCodingNotSupported:
            return zh ? "不支持该传输编码，请只使用 chunked。" : "This transfer coding is not supported; use chunked alone."
        case .conflict(let what): return zh ? "该\(Self.zhName(what))已存在或状态冲突。" : "This \(what) already exists or conflicts."
        case .invalidToken: return zh ? "链接无效或已过期，请重新申请。" : "This link is invalid or has expired. Ask for a new one."
        case .approvalByRequester:
            return zh ? "您提出的请求需要另一位主管批准。" : "Another supervisor has to approve a request you made."
        case .assetNotSupported(let asset):
            return zh
                ? "\(asset) 不在风控策略的资产列表中，Kefu 不对它做决定；管理员可在控制台“管理 → 额度”中添加。"
                : "\(asset) is not on the risk policy's list of assets, so Kefu makes no decision on it; an admin can add it under Console → Admin → Limits."
        case .internalError: return zh ? "服务器出错了，我们已记录。" : "Something went wrong on our side; it has been logged."
        }
    }

    /// Words for the rules of a customer's password, so the error names every rule broken.
    static let ruleText: [String: (en: String, zh: String)] = [
        "password_too_short": ("too short", "太短"),
        "password_too_long": ("too long", "太长"),
        "password_needs_letter": ("needs a letter", "需要包含字母"),
        "password_needs_digit": ("needs a digit", "需要包含数字"),
        "password_needs_symbol": ("needs a symbol", "需要包含符号"),
        "password_common": ("one of the most common passwords", "属于最常见的密码"),
        "password_contains_email": ("contains your email name", "包含邮箱用户名"),
        "password_reused": ("one of your last passwords", "与最近使用过的密码相同"),
        "invalid_characters": ("no <, >, control or text-direction characters", "不能包含 <、>、控制字符或文字方向控制符"),
    ]

    private static func zhName(_ what: String) -> String {
        switch what {
        case "conversation": "会话"
        case "inbox": "收件箱"
        case "agent": "客服"
        case "attachment": "附件"
        case "file": "文件"
        case "two_factor": "两步验证"
        case "two_factor_reset": "两步验证重置请求"
        default: "记录"
        }
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
