import Foundation
import KefuConversations
import KefuAccounts
import KefuCore
import KefuRealtime
import KefuStore

/// The customer's side of live chat: starting a widget session and sending messages.
public struct WidgetService: Sendable {
    public typealias Repositories = WidgetSessionRepository & ConversationService.Repositories & InboxRepository
    public let store: any Repositories
    /// Where the visitor's messages, reads and typing go (stored, published, assigned).
    public let conversations: ConversationService
    /// A widget session lives this long after it was last used.
    public let sessionLifetime: TimeInterval
    public let now: @Sendable () -> Date

    /// Starts a session for a new visitor (a new contact) on a webchat inbox, with their answers
    /// to the inbox's pre-chat form.
    public func startSession(
        inboxId: InboxID, answers raw: PrechatForm.Answers, locale: String?, returning: Bool = false, userAgent: String?, address: String?
    ) async throws -> (token: String, session: WidgetSession) {
        guard let inbox = try await store.inbox(id: inboxId), inbox.kind == .webchat else { throw WebchatError.notFound("inbox") }
        // A returning visitor verifies their email next and continues their own conversation,
        // so the form (which is for new conversations) is not asked and its answers are ignored.
        let form = returning ? PrechatForm(name: .hidden, email: .hidden, walletUid: .hidden, topic: .hidden, topics: []) : inbox.prechatForm ?? .standard
        let trimmed = PrechatForm.Answers(
            name: raw.name?.trimmingCharacters(in: .whitespacesAndNewlines),
            email: raw.email?.trimmingCharacters(in: .whitespacesAndNewlines),
            walletUid: raw.walletUid?.trimmingCharacters(in: .whitespacesAndNewlines), topic: raw.topic)
        var (answers, failure) = form.check(trimmed)
        if let name = answers.name, name.count > 100 { failure.add("name", .tooLong(max: 100)) }
        if let email = answers.email, !EmailAddress.isPlausible(email) { failure.add("email", .invalid) }
        // Whatever the browser says; languages Kefu does not speak yet fall back to English.
        if let locale, locale.count > 35 { failure.add("locale", .tooLong(max: 35)) }
        let chosenLocale = locale.map { UILocale(tag: $0) ?? .en }
        // One line, as the API document says: no CR or LF (it is shown escaped, like all input).
        if let uid = answers.walletUid, uid.count > 64 || uid.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
            failure.add("walletUid", .invalid)
        }
        try failure.throwIfAny()
        // What the visitor typed into the form is kept: a phrase or key pasted there is not.
        answers.name = answers.name.map { conversations.secrets.redact($0).text }
        answers.walletUid = answers.walletUid.map { conversations.secrets.redactIdentifier($0).text }
        // A typed email is only a claim: it must not open another person's history, so the
        // visitor is a new contact until the email is verified by mail (email channel).
        let contact = try await store.createContact(name: answers.name, email: nil, locale: chosenLocale?.rawValue)
        let token = RandomToken.make()
        let session = try await store.createWidgetSession(
            inboxId: inbox.id, contactId: contact.id, tokenHash: TokenDigest.of(token),
            claimedEmail: answers.email.map(EmailAddress.normalize), claimedWalletUid: answers.walletUid, locale: chosenLocale?.rawValue,
            topic: answers.topic, userAgent: userAgent, clientAddress: address, expiresAt: now().addingTimeInterval(sessionLifetime))
        return (token, session)
    }

    public func session(token: String) async throws -> WidgetSession? {
        guard token.count <= 200 else { return nil }
        return try await store.widgetSession(tokenHash: TokenDigest.of(token), now: now(), slidingLifetime: sessionLifetime)
    }

    /// Stores a customer message in their open conversation in this inbox, starting a new
    /// conversation when there is none or the last one was resolved. A resend of the same
    /// `clientMsgId` answers with the stored message.
    public func send(text: String, clientMsgId: String, attachmentIds: [AttachmentID] = [], session: WidgetSession) async throws -> AppendResult {
        let message = NewMessage(
            direction: .incoming, author: .contact(session.contactId), text: text, attachmentIds: attachmentIds,
            clientMessageId: clientMsgId)
        try ConversationService.validate(message)
        let latest = try await store.latestConversation(contactId: session.contactId, inboxId: session.inboxId)
        if let latest, latest.status != .resolved {
            return try await conversations.send(message, to: latest.id)
        }
        if let latest, let stored = try await store.message(conversationId: latest.id, clientMessageId: clientMsgId) {
            return AppendResult(message: stored, created: false, contactId: latest.contactId, inboxId: latest.inboxId)
        }
        // Cut from the first line; the conversations service cuts it again from the stored text
        // when the line carried a secret.
        let subject = text.split(whereSeparator: \.isNewline).first.map { String($0.prefix(80)) }
        return try await conversations.start(
            ConversationStart(
                inboxId: session.inboxId, contactId: session.contactId, subject: subject, labels: session.topic.map { [$0] } ?? [],
                firstMessage: message),
            autoAssign: true
        ).first
    }

    /// Records the email a visitor leaves when no agent is online (a claim until verified).
    public func claimEmail(_ email: String, session: WidgetSession) async throws {
        guard EmailAddress.isPlausible(email) else { throw WebchatError.invalid("email", .invalid) }
        try await store.setClaimedEmail(sessionId: session.id, email: EmailAddress.normalize(email))
    }

    /// The visitor has seen their conversation up to `seq`: agents get a read mark.
    public func markRead(upTo seq: Int64, session: WidgetSession) async throws {
        guard let latest = try await store.latestConversation(contactId: session.contactId, inboxId: session.inboxId) else { return }
        try await conversations.markRead(latest, by: .contact, upTo: seq)
    }

    /// Tells the agents watching that the customer is (not) typing.
    public func typing(_ isTyping: Bool, session: WidgetSession) async throws {
        guard let latest = try await store.latestConversation(contactId: session.contactId, inboxId: session.inboxId) else { return }
        await conversations.typing(in: latest, by: .contact(session.contactId), isTyping: isTyping)
    }

    public init(store: any Repositories, conversations: ConversationService, sessionLifetime: TimeInterval, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.conversations = conversations
        self.sessionLifetime = sessionLifetime
        self.now = now
    }
}
