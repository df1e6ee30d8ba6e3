import Foundation
import KefuCore
import KefuLocalization
import KefuMail
import KefuStore

/// A chat reply as mail to a visitor who left an address: it goes out only if they have not read
/// the reply in the widget by its due time (the conversation continues by email).
///
/// Most replies are read in the widget within seconds, so the mail is not composed when the reply
/// is sent: the outbox keeps a row without content (durable, so a restart does not lose it), and
/// the sender composes the mail only when it is due and still unread. Composing at once cost
/// about a fifth of the server's CPU under a burst of agent replies (docs/benchmarks.md): the
/// render, a blob file written and synced, the thread's reads, all for mail that is mostly skipped.
extension EmailReplies {
    /// Queues the reply's mail without content, due after `chatReplyDelay`. Its Message-ID is
    /// chosen now, so every attempt and every composition sends the same one.
    public func enqueueChatReply(_ message: Message, in conversation: Conversation) async throws {
        guard let (address, contact) = try await chatAddress(for: conversation) else { return }
        let subject = catalog.text(.mailChatReplySubject, UILocale(storedTag: contact.locale), ["number": String(conversation.number)])
        _ = try await store.enqueueMail(
            NewOutboxMail(
                kind: .chatReply, dedupKey: "chat:\(message.id.rawValue)", conversationId: conversation.id, messageRef: message.id,
                mailFrom: settings.supportAddress, recipients: [address], messageId: settings.newMessageId(), subject: subject, rawSha256: "", local: false,
                notBefore: now().addingTimeInterval(settings.chatReplyDelay)))
        wake()
    }

    /// The mail of a due chat reply (its reply and conversation as the sender just read them),
    /// composed now with the address, the agent's name and the thread as they are at this time,
    /// and stored with the outbox row. Nil when it is no longer needed: the visitor no longer has
    /// an address.
    func composeChatReply(_ queued: OutboxMail, message: Message, in conversation: Conversation) async throws -> OutboxMail? {
        if queued.isComposed { return queued }
        guard let (address, contact) = try await chatAddress(for: conversation) else { return nil }
        let thread = try await store.emailThread(conversationId: conversation.id, customerAddress: address)
        var agentName = settings.supportName
        if let id = message.author.id, let agent = try await store.agent(id: AgentID(rawValue: id)) { agentName = agent.name }
        let locale = UILocale(storedTag: contact.locale)
        let subject = catalog.text(.mailChatReplySubject, locale, ["number": String(conversation.number)])
        // No verification code here: the widget shows it, and this address may be one the visitor
        // only typed (docs/trust-and-safety.md).
        let text = catalog.text(
            .mailChatReplyBody, locale, ["agent": agentName, "text": message.text, "supportName": settings.supportName])
        let references = try await store.threadMessageIds(conversationId: conversation.id)
        let mail = OutgoingMail(
            from: MailAddress(name: settings.supportName, address: settings.supportAddress), to: [MailAddress(name: contact.name, address: address)],
            replyTo: MailAddress(name: settings.supportName, address: settings.replyAddress(token: thread.replyToken)),
            subject: subject, messageId: queued.messageId, inReplyTo: references.last, references: references, date: now(),
            text: text, html: Self.html(text, signature: settings.supportName, number: conversation.number), files: try await files(of: message))
        let composed = ComposedOutboxMail(
            mailFrom: mail.from.address, recipients: [address], subject: subject, rawSha256: try await blobs.put(Data(mail.render())))
        // A second sender that composed it first (an expired lease) wins; its bytes are the mail.
        _ = try await store.composeOutboxMail(id: queued.id, composed)
        return try await store.outboxMail(id: queued.id)
    }
}
