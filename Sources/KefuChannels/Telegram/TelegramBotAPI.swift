import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Why a Bot API call failed, without the bot token (it is in every URL, so no URL is kept).
public enum TelegramError: Error, Equatable, Sendable {
    /// Telegram answered `ok: false`: its code, description and, for flood control, the wait.
    case refused(code: Int, description: String, retryAfter: Int?)
    /// No usable answer: the server could not be reached, timed out, or sent something else.
    case unavailable(String)
    /// A file larger than Kefu downloads (Telegram's own `getFile` limit is 20 MB).
    case fileTooLarge(Int64)

    /// Failures a retry cannot fix (a blocked bot, a chat that is gone, a bad token).
    public var isPermanent: Bool {
        if case .refused(let code, _, _) = self { return [400, 401, 403, 404, 413].contains(code) }
        return false
    }
}

/// Calls on the Bot API at `{base}/bot{token}/{method}` and downloads from
/// `{base}/file/bot{token}/{file_path}`, exactly as Telegram's own server and the documented
/// local Bot API server expect (`KEFU_TELEGRAM_API_URL` points elsewhere for tests).
public struct TelegramBotAPI: Sendable {
    /// Telegram's `getFile` serves up to 20 MB.
    public static let maxFileBytes: Int64 = 20 << 20
    static let maxAnswerBytes = 4 << 20

    let base: String
    let token: String
    let client: HTTPClient
    let timeout: TimeAmount

    /// One client for every bot, never following redirects (a Bot API answer that redirects
    /// elsewhere is not an answer). A static, like `HTTPClient.shared`: it lives as long as the process.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(10))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(base: String, token: String, client: HTTPClient = TelegramBotAPI.client, timeout: TimeAmount = .seconds(15)) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.token = token
        self.client = client
        self.timeout = timeout
    }

    /// Calls `method` with a JSON body and decodes its `result`.
    public func call<Result: Decodable & Sendable>(
        _ method: String, _ parameters: [String: any Encodable & Sendable] = [:], as type: Result.Type, timeout extra: TimeAmount = .zero
    ) async throws -> Result {
        var request = HTTPClientRequest(url: "\(base)/bot\(token)/\(method)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try Self.encode(parameters)))
        return try await send(request, as: type, timeout: timeout + extra)
    }

    /// The bot's own account: the check an admin's token must pass.
    public func getMe() async throws -> Telegram.User {
        try await call("getMe", as: Telegram.User.self)
    }

    /// Long polling: waits up to `wait` seconds on Telegram's side for updates after `offset`.
    public func getUpdates(offset: Int64, wait: Int, allowed: [String]) async throws -> [Telegram.ReceivedUpdate] {
        try await call(
            "getUpdates", ["offset": offset, "timeout": wait, "allowed_updates": allowed], as: [Telegram.ReceivedUpdate].self,
            timeout: .seconds(Int64(wait)))
    }

    public func getFile(_ fileId: String) async throws -> Telegram.File {
        try await call("getFile", ["file_id": fileId], as: Telegram.File.self)
    }

    /// Downloads a file `getFile` described, refusing one over `maxFileBytes` (declared or sent).
    public func download(_ file: Telegram.File) async throws -> Data {
        if let size = file.fileSize, size > Self.maxFileBytes { throw TelegramError.fileTooLarge(size) }
        guard let path = file.filePath, !path.hasPrefix("/"), !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }),
            !path.contains("?"), !path.contains("#"), !path.contains("%")
        else { throw TelegramError.unavailable("the file has no usable path") }
        let (client, url) = (self.client, "\(base)/file/bot\(token)/\(path)")
        do {
            // One limit over the whole download: a server that trickles the body cannot hold us.
            return try await withTimeLimit(.seconds(120)) {
                let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
                guard response.status == .ok else { throw TelegramError.unavailable("HTTP \(response.status.code) for a file") }
                return Data(buffer: try await response.body.collect(upTo: Int(Self.maxFileBytes)))
            }
        } catch is NIOTooManyBytesError {
            throw TelegramError.fileTooLarge(Self.maxFileBytes + 1)
        } catch let error as TelegramError {
            throw error
        } catch {
            throw TelegramError.unavailable(Self.redacted(error))
        }
    }

    func send<Result: Decodable & Sendable>(_ request: HTTPClientRequest, as type: Result.Type, timeout: TimeAmount) async throws -> Result {
        let body: ByteBuffer
        let client = self.client
        do {
            body = try await withTimeLimit(.nanoseconds(timeout.nanoseconds) + .seconds(10)) {
                let response = try await client.execute(request, timeout: timeout)
                return try await response.body.collect(upTo: Self.maxAnswerBytes)
            }
        } catch {
            throw TelegramError.unavailable(Self.redacted(error))
        }
        guard let answer = try? TelegramJSON.decoder.decode(Telegram.Response<Result>.self, from: Data(buffer: body)) else {
            throw TelegramError.unavailable("an answer that is not the Bot API's")
        }
        guard answer.ok, let result = answer.result else {
            throw TelegramError.refused(
                code: answer.errorCode ?? 0, description: answer.description ?? "", retryAfter: answer.parameters?.retryAfter)
        }
        return result
    }

    static func encode(_ parameters: [String: any Encodable & Sendable]) throws -> Data {
        struct AnyEncodable: Encodable {
            let value: any Encodable
            func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
        }
        return try JSONEncoder().encode(parameters.mapValues { AnyEncodable(value: $0) })
    }

    /// An error's words without any URL in them (the token is part of every URL).
    static func redacted(_ error: any Error) -> String {
        String(describing: type(of: error))
    }
}
