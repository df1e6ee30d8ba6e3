import Foundation
import KefuConversations
import KefuCore
import KefuLocalization
import KefuMail
import KefuStore
import Logging

/// Agents' replies and acknowledgements as mail: composed once with a fixed Message-ID, queued
/// in the durable outbox (or kept there for admins when no relay is configured).
public struct EmailReplies: CustomerNotifier {
    public typealias Repositories = MailRepository & InboxRepository & ConversationRepository & ContactRepository & AgentRepository
        & MessageRepository & AttachmentRepository & WidgetSessionRepository
    let store: any Repositories
    let blobs: any BlobStore
    let settings: EmailSettings
    /// The words of every mail it writes.
    let catalog = Catalog.standard
    /// Tells the outbox sender there is mail (it also polls).
    let wake: @Sendable () -> Void
    let now: @Sendable () -> Date
    /// When customers can expect an answer, told in the acknowledgement.
    let expectations: (any ReplyExpectations)?

    public init(
        store: any Repositories, blobs: any BlobStore, settings: EmailSettings, wake: @escaping @Sendable () -> Void = {},
        now: @escaping @Sendable () -> Date = { Date() }, expectations: (any ReplyExpectations)? = nil
    ) {
        self.expectations = expectations
        self.store = store
        self.blobs = blobs
        self.settings = settings
        self.wake = wake
        self.now = now
    }

    /// The visitor's address: verified on their contact, else the one they left in the chat.
    func chatAddress(for conversation: Conversation) async throws -> (address: String, contact: Contact)? {
        guard let contact = try await store.contact(id: conversation.contactId) else { return nil }
        if let email = contact.email { return (email, contact) }
        guard let claimed = try await store.widgetClaims(contactId: contact.id).email else { return nil }
        return (claimed, contact)
    }

    /// What earlier rounds put before a subject ("Re: ", "回复：", "[#12] "), built once.
    nonisolated(unsafe) static let earlierRound = /^\s*(?:(?:re|fw|fwd|回复|答复|转发)\s*[:：]\s*|\[#\d+\]\s*)/.ignoresCase()

    /// The subject every mail of a conversation carries: "[#1042] original subject".
    func subject(for conversation: Conversation, prefix: String = "Re: ") -> String {
        var original = conversation.subject ?? ""
        // Strip what earlier rounds added, so subjects do not grow "Re: Re: [#1] [#1]".
        while let match = original.firstMatch(of: Self.earlierRound) {
            original.removeSubrange(match.range)
        }
        return "\(prefix)[#\(conversation.number)] \(original)".trimmingCharacters(in: .whitespaces)
    }

    /// An agent's reply in an email conversation as a mail in its thread.
    public func enqueueReply(_ message: Message, in conversation: Conversation, inbox: Inbox) async throws {
        guard let contact = try await store.contact(id: conversation.contactId) else { return }
        let fallback = contact.email ?? ""
        let thread = try await store.emailThread(conversationId: conversation.id, customerAddress: fallback)
        guard !thread.customerAddress.isEmpty else { return }  // a sender we could not read: nowhere to answer
        let base = inbox.emailAddress ?? settings.supportAddress
        var agentName: String?
        if let id = message.author.id { agentName = try await store.agent(id: AgentID(rawValue: id))?.name }
        let references = try await store.threadMessageIds(conversationId: conversation.id)
        // It answers the customer's latest mail (not our own acknowledgement).
        let answered = try await store.mails(conversationId: conversation.id).last?.messageId ?? references.last
        let files = try await self.files(of: message)
        var signature = [agentName, settings.supportName].compactMap { $0 }.joined(separator: " · ")
        if let line = settings.signature.codeLine(message.agentCode, locale: UILocale(storedTag: contact.locale)) { signature += "\n" + line }
        let text = message.text + "\n\n-- \n\(signature)\n[#\(conversation.number)]"
        let mail = OutgoingMail(
            from: MailAddress(name: settings.supportName, address: base),
            to: [MailAddress(name: contact.name, address: thread.customerAddress)],
            replyTo: MailAddress(name: settings.supportName, address: settings.replyAddress(token: thread.replyToken, base: base)),
            subject: subject(for: conversation), messageId: settings.newMessageId(), inReplyTo: answered, references: references,
            date: now(), text: text, html: Self.html(message.text, signature: signature, number: conversation.number), files: files)
        try await enqueue(mail, kind: .reply, key: "reply:\(message.id.rawValue)", conversation: conversation, messageRef: message.id)
    }

    /// "We received your mail": the conversation number and the promised response time, in
    /// the customer's language, marked as automatic so auto-responders do not answer it.
    public func acknowledge(conversation: Conversation, to address: String, locale: String, inReplyTo: String) async throws {
        let inbox = try await store.inbox(id: conversation.inboxId)
        let base = inbox?.emailAddress ?? settings.supportAddress
        let thread = try await store.emailThread(conversationId: conversation.id, customerAddress: address)
        let language = UILocale(storedTag: locale)
        // The inbox's policy says when; without one, the configured promise in hours.
        var promise: String?
        if let expectations, let inbox { promise = await expectations.expectedReply(for: inbox, locale: language, at: now()) }
        let expected = promise ?? catalog.text(.mailExpectedHours, language, ["hours": String(settings.responseHours)])
        let text = catalog.text(
            .mailAcknowledgementBody, language, ["number": String(conversation.number), "expected": expected, "supportName": settings.supportName])
        let subject = subject(for: conversation, prefix: catalog.text(.mailAcknowledgementSubjectPrefix, language))
        let mail = OutgoingMail(
            from: MailAddress(name: settings.supportName, address: base), to: [MailAddress(address: address)],
            replyTo: MailAddress(name: settings.supportName, address: settings.replyAddress(token: thread.replyToken, base: base)),
            subject: subject, messageId: settings.newMessageId(), inReplyTo: inReplyTo, references: [inReplyTo], date: now(), text: text,
            autoSubmitted: "auto-replied")
        try await enqueue(mail, kind: .acknowledgement, key: "ack:\(conversation.id.rawValue)", conversation: conversation, messageRef: nil)
    }

    /// The survey as a mail in the conversation's thread: each rating a link to the signed page
    /// with that rating chosen (a mail scanner that opens them records nothing).
    public func enqueueSurvey(_ invitation: SurveyInvitation) async throws {
        let conversation = invitation.context.conversation
        guard let contact = invitation.context.contact else { return }
        let thread = try await store.emailThread(conversationId: conversation.id, customerAddress: contact.email ?? "")
        guard !thread.customerAddress.isEmpty else { return }
        let base = invitation.context.inbox.emailAddress ?? settings.supportAddress
        let language = invitation.locale
        let links = SurveyAnswer.ratings.reversed().map { rating in
            "\(String(repeating: "★", count: rating))\(String(repeating: "☆", count: 5 - rating))  \(catalog.text(.csatRating(rating), language))\n\(invitation.pageURL)?rating=\(rating)"
        }.joined(separator: "\n\n")
        let values = ["number": String(conversation.number), "links": links, "supportName": settings.supportName]
        let references = try await store.threadMessageIds(conversationId: conversation.id)
        let mail = OutgoingMail(
            from: MailAddress(name: settings.supportName, address: base), to: [MailAddress(name: contact.name, address: thread.customerAddress)],
            replyTo: MailAddress(name: settings.supportName, address: settings.replyAddress(token: thread.replyToken, base: base)),
            subject: catalog.text(.csatMailSubject, language, values), messageId: settings.newMessageId(), inReplyTo: references.last,
            references: references, date: now(), text: catalog.text(.csatMailBody, language, values), autoSubmitted: "auto-generated")
        try await enqueue(mail, kind: .survey, key: "csat:\(invitation.context.survey.id.rawValue)", conversation: conversation, messageRef: nil)
    }

    /// A one-time code proving a chat visitor's address (to keep their history on every device).
    public func sendVerificationCode(_ code: String, to address: String, locale: String, key: String, validMinutes: Int) async throws {
        let language = UILocale(storedTag: locale)
        let values = ["code": code, "validMinutes": String(validMinutes), "supportName": settings.supportName]
        let text = catalog.text(.mailCodeBody, language, values)
        let mail = OutgoingMail(
            from: MailAddress(name: settings.supportName, address: settings.supportAddress), to: [MailAddress(address: address)],
            subject: catalog.text(.mailCodeSubject, language, values), messageId: settings.newMessageId(),
            date: now(), text: text, autoSubmitted: "auto-generated")
        try await enqueue(mail, kind: .notification, key: key, conversation: nil, messageRef: nil)
    }

    /// A mail about the customer's account (verification, password reset, security notices):
    /// from the support address, marked automatic, queued like every mail.
    public func sendNotice(to address: String, subject: String, text: String, key: String) async throws {
        let mail = OutgoingMail(
            from: MailAddress(name: settings.supportName, address: settings.supportAddress), to: [MailAddress(address: address)],
            subject: subject, messageId: settings.newMessageId(), date: now(), text: text + "\n\n\(settings.supportName)",
            autoSubmitted: "auto-generated")
        try await enqueue(mail, kind: .notification, key: key, conversation: nil, messageRef: nil)
    }

    func enqueue(
        _ mail: OutgoingMail, kind: OutboxKind, key: String, conversation: Conversation?, messageRef: MessageID?, notBefore: Date? = nil,
        local: Bool? = nil
    ) async throws {
        let raw = mail.render()
        let sha = try await blobs.put(Data(raw))
        _ = try await store.enqueueMail(
            NewOutboxMail(
                kind: kind, dedupKey: key, conversationId: conversation?.id, messageRef: messageRef, mailFrom: mail.from.address,
                recipients: mail.to.map(\.address), messageId: mail.messageId, subject: mail.subject, rawSha256: sha,
                // Queued even without a relay: the sending process decides (a piped mail's
                // acknowledgement is queued by `kefu ingest-email` and sent by the server).
                local: local ?? false, notBefore: notBefore))
        wake()
    }

    /// The message's attachments, read from the blob store, as mail parts.
    func files(of message: Message) async throws -> [OutgoingMail.File] {
        var files: [OutgoingMail.File] = []
        for attachment in message.attachments {
            files.append(
                OutgoingMail.File(filename: attachment.filename, contentType: attachment.contentType, bytes: Array(try await blobs.get(attachment.sha256))))
        }
        return files
    }

    /// The reply as simple HTML: the agent's text escaped, line breaks kept.
    static func html(_ text: String, signature: String, number: Int64) -> String {
        func escape(_ value: String) -> String { HTMLEscaping.escape(value) }
        let body = escape(text).replacingOccurrences(of: "\n", with: "<br>\n")
        return """
            <!doctype html><html><body style="font-family:sans-serif;line-height:1.5">
            <div>\(body)</div>
            <p style="color:#667085;font-size:13px">-- <br>\(escape(signature))<br>[#\(number)]</p>
            </body></html>
            """
    }
}
