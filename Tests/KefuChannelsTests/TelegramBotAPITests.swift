import Foundation
import Hummingbird
import HummingbirdTesting
import KefuChannels
import NIOCore
import Testing

/// The Bot API client against a local server that answers the documented shapes: `{base}/bot
/// {token}/{method}` and `{base}/file/bot{token}/{path}`.
@Suite struct TelegramBotAPITests {
    static let token = "123456:ABC-test-token"

    static func fake() -> some ApplicationProtocol {
        let router = Router()
        router.post("/bot\(token)/getMe") { _, _ in
            Self.json(#"{"ok": true, "result": {"id": 7000000001, "is_bot": true, "first_name": "Kefu", "username": "KefuWalletBot"}}"#)
        }
        router.post("/bot\(token)/getUpdates") { request, _ in
            // Echo the offset back as the only update's id, so the test sees what was sent.
            let body = try await request.body.collect(upTo: 4096)
            let sent = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] ?? [:]
            let offset = sent["offset"] as? Int ?? -1
            return Self.json(
                #"{"ok": true, "result": [{"update_id": \#(offset), "message": {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}, "text": "hi"}}]}"#)
        }
        router.post("/bot\(token)/sendMessage") { _, _ in
            Self.json(#"{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3", "parameters": {"retry_after": 3}}"#, status: .tooManyRequests)
        }
        router.post("/botwrong/getMe") { _, _ in Self.json(#"{"ok": false, "error_code": 401, "description": "Unauthorized"}"#, status: .unauthorized) }
        router.post("/bot\(token)/getFile") { _, _ in
            Self.json(#"{"ok": true, "result": {"file_id": "AgAD", "file_unique_id": "u", "file_size": 5, "file_path": "photos/file_1.jpg"}}"#)
        }
        router.get("/file/bot\(token)/photos/file_1.jpg") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(bytes: [0xFF, 0xD8, 0xFF, 0xE0, 0x00])))
        }
        router.post("/bot\(token)/notJSON") { _, _ in Response(status: .badGateway, body: .init(byteBuffer: ByteBuffer(string: "<html>502</html>"))) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Test func callsAnswersAndRefusalsFollowTheDocumentedShapes() async throws {
        try await Self.fake().test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let api = TelegramBotAPI(base: base + "/", token: Self.token)
            #expect(try await api.getMe().username == "KefuWalletBot")
            #expect(try await api.getUpdates(offset: 42, wait: 0, allowed: ["message", "edited_message"]).map(\.updateId) == [42])
            await #expect(throws: TelegramError.refused(code: 429, description: "Too Many Requests: retry after 3", retryAfter: 3)) {
                try await api.call("sendMessage", ["chat_id": 5, "text": "hello"], as: Telegram.Message.self)
            }
            do {
                _ = try await TelegramBotAPI(base: base, token: "wrong").getMe()
                Issue.record("a refused token was accepted")
            } catch let error as TelegramError {
                #expect(error.isPermanent)
                #expect(!"\(error)".contains("wrong"))
            }
            await #expect(throws: TelegramError.unavailable("an answer that is not the Bot API's")) {
                try await api.call("notJSON", as: Bool.self)
            }
            let file = try await api.getFile("AgAD")
            #expect(try await api.download(file) == Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00]))
            var huge = file
            huge.fileSize = TelegramBotAPI.maxFileBytes + 1
            await #expect(throws: TelegramError.fileTooLarge(TelegramBotAPI.maxFileBytes + 1)) { try await api.download(huge) }
        }
    }

    @Test func anUnreachableServerIsUnavailableWithoutTheToken() async throws {
        let api = TelegramBotAPI(base: "http://127.0.0.1:1", token: Self.token, timeout: .seconds(2))
        do {
            _ = try await api.getMe()
            Issue.record("no server answered, yet the call succeeded")
        } catch let error as TelegramError {
            guard case .unavailable(let why) = error else { Issue.record("\(error)"); return }
            #expect(!why.contains(Self.token) && !why.contains("127.0.0.1"))
            #expect(!error.isPermanent)
        }
    }
}
