import Foundation
import HTTPTypes
import Hummingbird
import KefuChannels
import KefuCore
import KefuStore

/// `POST /telegram/webhook/{inboxId}`: where Telegram pushes a bot's updates when Kefu's public
/// URL is https. Only Telegram knows the bot's secret (given with `setWebhook`), checked in
/// constant time before the body is read; the answer is 200 only once the update is stored, so
/// Telegram sends it again after any failure (and the receipt keeps it from counting twice).
struct TelegramWebhookController {
    let telegram: TelegramChannel
    let store: any TelegramBotRepository

    /// Updates Kefu reads are small (a message is at most 4,096 characters plus entities).
    static let maxBody = 1 << 20

    func addRoutes(to router: Router<KefuRequestContext>) {
        router.post("telegram/webhook/{inbox}") { request, context -> Response in
            guard let id = context.parameters.get("inbox").flatMap(InboxID.init(validating:)),
                let bot = try await store.telegramBot(inboxId: id)
            else { throw APIError.notFound("inbox") }
            let given = request.headers[HTTPField.Name("X-Telegram-Bot-Api-Secret-Token")!] ?? ""
            guard constantTimeEquals(given, try telegram.bots.webhookSecret(for: bot)) else { throw APIError.unauthenticated }
            if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maxBody { throw APIError.bodyTooLarge }
            let body = try await request.body.collectWhole(upTo: Self.maxBody)
            let received: Telegram.ReceivedUpdate
            do {
                received = try TelegramJSON.decoder.decode(Telegram.ReceivedUpdate.self, from: Data(buffer: body))
            } catch {
                throw APIError.invalidJSON("not a Telegram update")
            }
            // An update of a shape Kefu cannot read is acknowledged (Telegram would resend it forever).
            if let update = received.update {
                try await telegram.ingest.handle(update, bot: bot, api: try telegram.bots.api(for: bot))
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
    }
}
