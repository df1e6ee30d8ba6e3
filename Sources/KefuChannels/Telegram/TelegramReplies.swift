import Foundation
import KefuCore
import KefuStore

/// Queues agents' replies in Telegram conversations: to the conversation's chat, quoting the
/// customer's latest message in a group, the text and every attachment.
public struct TelegramReplies: Sendable {
    public typealias Repositories = ChannelOutboxRepository & ChannelThreadRepository

    let store: any Repositories
    let wake: @Sendable () -> Void

    public init(store: any Repositories, wake: @escaping @Sendable () -> Void) {
        self.store = store
        self.wake = wake
    }

    /// Tells the sender something is queued (an announcement's posts).
    public func wakeSender() { wake() }

    public func enqueue(_ reply: Message, in conversation: Conversation) async throws {
        guard reply.direction == .outgoing, let thread = try await store.channelThread(conversationId: conversation.id),
            thread.threadKey.hasPrefix("chat:")
        else { return }
        let chat = String(thread.threadKey.dropFirst("chat:".count))
        let payload = ChannelPayload(
            text: reply.text, replyTo: thread.replyTo,
            files: reply.attachments.map { .init(sha256: $0.sha256, contentType: $0.contentType, filename: $0.filename) })
        _ = try await store.enqueueDelivery(
            NewChannelDelivery(
                kind: .reply, inboxId: conversation.inboxId, dedupKey: "reply:\(reply.id)", conversationId: conversation.id,
                messageRef: reply.id, target: chat, payload: payload))
        wake()
    }
}
