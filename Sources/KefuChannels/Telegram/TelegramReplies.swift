import Foundation
import KefuConversations
import KefuCore
import KefuLocalization
import KefuStore

/// Queues agents' replies in Telegram conversations: to the conversation's chat, quoting the
/// customer's latest message in a group, the text and every attachment.
public struct TelegramReplies: Sendable {
    public typealias Repositories = ChannelOutboxRepository & ChannelThreadRepository & ContactRepository & AgentRepository

    let store: any Repositories
    let signature: AgentSignature
    let wake: @Sendable () -> Void

    public init(store: any Repositories, signature: AgentSignature, wake: @escaping @Sendable () -> Void) {
        self.store = store
        self.signature = signature
        self.wake = wake
    }

    /// Tells the sender something is queued (an announcement's posts).
    public func wakeSender() { wake() }

    public func enqueue(_ reply: Message, in conversation: Conversation) async throws {
        guard reply.direction == .outgoing, let thread = try await store.channelThread(conversationId: conversation.id),
            thread.threadKey.hasPrefix("chat:")
        else { return }
        let chat = String(thread.threadKey.dropFirst("chat:".count))
        // The agent's name and code close the message: anyone can name themselves support in
        // Telegram, only a real agent's code checks out for this customer.
        var text = reply.text
        if reply.agentCode != nil {
            var agent: String?
            if let id = reply.author.id { agent = try await store.agent(id: AgentID(rawValue: id))?.name }
            let locale = UILocale(storedTag: try await store.contact(id: conversation.contactId)?.locale)
            if let line = signature.chatLine(agent: agent, code: reply.agentCode, locale: locale) { text += "\n\n" + line }
        }
        let payload = ChannelPayload(
            text: text, replyTo: thread.replyTo,
            files: reply.attachments.map { .init(sha256: $0.sha256, contentType: $0.contentType, filename: $0.filename) })
        _ = try await store.enqueueDelivery(
            NewChannelDelivery(
                kind: .reply, inboxId: conversation.inboxId, dedupKey: "reply:\(reply.id)", conversationId: conversation.id,
                messageRef: reply.id, target: chat, payload: payload))
        wake()
    }

    /// "How did we do?" with five buttons (1–5) under it; a press comes back as a callback.
    public func enqueueSurvey(_ invitation: SurveyInvitation) async throws {
        let conversation = invitation.context.conversation
        guard let thread = try await store.channelThread(conversationId: conversation.id), thread.threadKey.hasPrefix("chat:") else { return }
        let catalog = Catalog.standard
        let text = catalog.text(.csatTelegramQuestion, invitation.locale, ["number": String(conversation.number)])
        let buttons = [
            SurveyAnswer.ratings.map { rating in
                ChannelPayload.Button(text: "\(rating) ★", callbackData: TelegramSurveyButton.data(key: invitation.buttonKey, rating: rating))
            }
        ]
        _ = try await store.enqueueDelivery(
            NewChannelDelivery(
                kind: .notice, inboxId: conversation.inboxId, dedupKey: "csat:\(invitation.context.survey.id)", conversationId: conversation.id,
                target: String(thread.threadKey.dropFirst("chat:".count)), payload: ChannelPayload(text: text, buttons: buttons)))
        wake()
    }
}

/// A survey button's callback data: "csat:" + the survey's signed key + ":" + the rating (45 bytes,
/// within Telegram's 64).
public enum TelegramSurveyButton {
    public static func data(key: String, rating: Int) -> String { "csat:\(key):\(rating)" }

    /// The key and rating a pressed button carries, or nil when it is not a survey button.
    public static func parse(_ data: String) -> (key: String, rating: Int)? {
        let parts = data.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "csat", let rating = Int(parts[2]) else { return nil }
        return (String(parts[1]), rating)
    }
}
