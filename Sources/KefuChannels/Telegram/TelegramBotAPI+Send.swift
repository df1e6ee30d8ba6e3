import AsyncHTTPClient
import Foundation
import KefuStore
import NIOCore

/// Sending and webhook set-up. Files always go as multipart uploads: Telegram never has to
/// fetch anything from Kefu (which may not be reachable from outside at all).
extension TelegramBotAPI {
    /// A message the bot sent: only its id is kept (a retry must not send it again).
    public struct SentMessage: Decodable, Sendable, Equatable {
        public var messageId: Int64
    }

    public enum Upload: String, Sendable {
        case photo, document

        var method: String { self == .photo ? "sendPhoto" : "sendDocument" }
    }

    /// `reply_parameters` quoting `replyTo` when it is still there (and sending anyway when not).
    static func replyParameters(_ replyTo: Int64?) -> String? {
        replyTo.map { #"{"message_id":\#($0),"allow_sending_without_reply":true}"# }
    }

    public func sendMessage(chat: String, text: String, replyTo: Int64? = nil, buttons: [[ChannelPayload.Button]] = []) async throws -> SentMessage {
        var parameters: [String: any Encodable & Sendable] = ["chat_id": chat, "text": text, "link_preview_options": ["is_disabled": true]]
        if let reply = Self.replyParameters(replyTo) { parameters["reply_parameters"] = reply }
        if !buttons.isEmpty {
            let keyboard: [[[String: String]]] = buttons.map { row in row.map { ["text": $0.text, "callback_data": $0.callbackData] } }
            parameters["reply_markup"] = ["inline_keyboard": keyboard]
        }
        return try await call("sendMessage", parameters, as: SentMessage.self)
    }

    /// Tells Telegram a button press was handled (a short toast when `text` is given).
    public func answerCallbackQuery(_ id: String, text: String?) async throws {
        var parameters: [String: any Encodable & Sendable] = ["callback_query_id": id]
        if let text { parameters["text"] = String(text.prefix(200)) }
        _ = try await call("answerCallbackQuery", parameters, as: Bool.self)
    }

    /// Uploads `data` as a photo or document, with an optional caption.
    public func send(
        _ kind: Upload, chat: String, data: Data, filename: String, contentType: String, caption: String? = nil, replyTo: Int64? = nil
    ) async throws -> SentMessage {
        var form = MultipartForm()
        form.field("chat_id", chat)
        if let caption { form.field("caption", caption) }
        if let reply = Self.replyParameters(replyTo) { form.field("reply_parameters", reply) }
        form.file(kind.rawValue, filename: filename, contentType: contentType, data: data)
        var request = HTTPClientRequest(url: "\(base)/bot\(token)/\(kind.method)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: form.contentType)
        request.body = .bytes(ByteBuffer(data: form.finished))
        return try await send(request, as: SentMessage.self, timeout: .seconds(60))
    }

    /// Updates come to `url` from now on, with `secret` in `X-Telegram-Bot-Api-Secret-Token`, one
    /// at a time (a customer's album arrives as several updates; they are stored in order).
    public func setWebhook(url: String, secret: String, allowed: [String]) async throws {
        _ = try await call(
            "setWebhook", ["url": url, "secret_token": secret, "allowed_updates": allowed, "max_connections": 1], as: Bool.self)
    }

    /// Back to `getUpdates` (which Telegram refuses while a webhook is set).
    public func deleteWebhook() async throws {
        _ = try await call("deleteWebhook", ["drop_pending_updates": false], as: Bool.self)
    }
}

/// A `multipart/form-data` body (RFC 7578) with a random boundary.
struct MultipartForm {
    let boundary = "kefu-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    private(set) var body = Data()

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func field(_ name: String, _ value: String) {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n".utf8))
        body.append(Data(value.utf8))
        body.append(Data("\r\n".utf8))
    }

    mutating func file(_ name: String, filename: String, contentType: String, data: Data) {
        // Quotes and line breaks cannot appear in the header's quoted name.
        let safeName = String(filename.unicodeScalars.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" && $0 != "\\" })
        body.append(
            Data(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(safeName)\"\r\nContent-Type: \(contentType)\r\n\r\n"
                    .utf8))
        body.append(data)
        body.append(Data("\r\n".utf8))
    }

    /// The closing boundary is added when the body is read.
    var finished: Data { body + Data("--\(boundary)--\r\n".utf8) }
}
