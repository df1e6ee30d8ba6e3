import Foundation
import KefuConversations
import KefuCore
import KefuLocalization
import KefuStore

extension TelegramIngest {
    /// A survey button pressed: the rating is recorded when the key is Kefu's and the press came
    /// from the chat the survey was sent to; Telegram is always answered (`answerCallbackQuery`),
    /// or the customer's app keeps spinning. The thanks, with the page for a comment, goes
    /// through the outbox (once per update).
    func rate(_ press: Telegram.CallbackQuery, update: Int64, bot: TelegramBotRecord, api: TelegramBotAPI) async throws {
        let locale = UILocale(storedTag: Self.locale(press.from))
        guard let data = press.data, let (key, rating) = TelegramSurveyButton.parse(data), let surveys,
            let survey = try await surveys.survey(forKey: key), let chat = press.message?.chat.id,
            let thread = try await store.channelThread(conversationId: survey.conversationId), thread.threadKey == "chat:\(chat)"
        else {
            try? await api.answerCallbackQuery(press.id, text: nil)
            return
        }
        let page: String
        do {
            page = try await surveys.answer(key: key, rating: rating, via: "telegram")
        } catch {
            // Closed or unknown: nothing to record, but the button must stop spinning.
            try? await api.answerCallbackQuery(press.id, text: nil)
            return
        }
        try? await api.answerCallbackQuery(press.id, text: "\(rating) ★")
        _ = try await store.enqueueDelivery(
            NewChannelDelivery(
                kind: .notice, inboxId: bot.inboxId, dedupKey: "notice:\(bot.inboxId):\(update)", conversationId: survey.conversationId,
                target: "\(chat)", payload: ChannelPayload(text: catalog.text(.csatTelegramThanks, locale, ["link": page]))))
        wake()
    }
}
