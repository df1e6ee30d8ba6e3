import Foundation
import KefuConversations
import KefuCore
import KefuStore
import ServiceLifecycle

/// Why the wallet's backend was refused on the API channel.
public enum APIChannelError: Error, Equatable, Sendable {
    case invalid(ValidationFailure)
    case notFound(String)
}

/// The API channel: the wallet's own app talks to support through its backend, which creates
/// conversations and customer messages for its signed-in users (a service token of scope
/// `channel`), vouching for their wallet account. Agents' replies, status changes and typing
/// reach the backend as signed webhooks to the inbox's callback URL (a subscription limited to
/// the inbox), and can be fetched too. Every write is idempotent on the sender's
/// `clientMessageId` and answered once it is stored.
public struct APIChannel: Channel {
    public typealias Repositories = ChannelThreadRepository & InboxRepository & ConversationRepository & MessageRepository
        & AttachmentRepository & AccountRepository

    let store: any Repositories
    let conversations: ConversationService
    let webhooks: Webhooks

    /// What the callback subscription of an API inbox carries.
    public static let callbackEvents: [OutboundEventType] = [.messageCreated, .conversationUpdated, .conversationTyping, .csatRequested]

    public init(store: any Repositories, conversations: ConversationService, webhooks: Webhooks) {
        self.store = store
        self.conversations = conversations
        self.webhooks = webhooks
    }

    public var kind: InboxKind { .api }

    /// Nothing to queue: the reply is journaled with the message and the inbox's callback
    /// subscription delivers it.
    public func deliver(_ reply: Message, in conversation: Conversation, inbox: Inbox) async throws {}

    public var services: [any Service] { [] }

    // MARK: - Inboxes

    /// An API inbox, with its callback subscription when a URL is given (the secret is in the
    /// answer, once). The URL is checked before anything is made.
    public func createInbox(name: String, callbackUrl: String?, source: ActionSource) async throws -> (inbox: Inbox, secret: String?) {
        if let callbackUrl { _ = try webhooks.checkURL(callbackUrl, field: "callbackUrl") }
        var inbox = try await store.createInbox(
            name: name, kind: .api, audit: source.audit("inbox.created", subjectKind: "inbox", detail: ["name": name, "kind": "api"]))
        guard let callbackUrl else { return (inbox, nil) }
        let made = try await webhooks.create(
            url: callbackUrl, events: Self.callbackEvents.map(\.rawValue), includePrivateNotes: false, inboxId: inbox.id, source: source)
        inbox.api = APIInboxProfile(callbackUrl: made.subscription.url, webhookId: made.subscription.id)
        return (inbox, made.secret)
    }

    // MARK: - Conversations and messages

    public struct ContactClaim: Sendable, Equatable {
        public var identifier: String
        public var name: String?
        public var email: String?
        public var accountId: String?

        public init(identifier: String, name: String? = nil, email: String? = nil, accountId: String? = nil) {
            self.identifier = identifier
            self.name = name
            self.email = email
            self.accountId = accountId
        }
    }

    public struct Received: Sendable {
        public var conversationId: ConversationID
        public var message: Message
        /// False for a repeat of a `clientMessageId` already stored.
        public var created: Bool
    }

    /// The inbox, when it is an API inbox.
    public func inbox(_ id: InboxID) async throws -> Inbox {
        guard let inbox = try await store.inbox(id: id), inbox.kind == .api else { throw APIChannelError.notFound("inbox") }
        return inbox
    }

    /// A new conversation for the backend's user, with its first message.
    public func start(
        in inboxId: InboxID, contact claim: ContactClaim, text: String, clientMessageId: String, attachmentIds: [AttachmentID]
    ) async throws -> Received {
        _ = try await inbox(inboxId)
        var failure = Self.check(text: text, clientMessageId: clientMessageId, attachments: attachmentIds)
        let identifier = claim.identifier.trimmingCharacters(in: .whitespacesAndNewlines)
        if identifier.isEmpty { failure.add("contact.identifier", .required) }
        if identifier.count > 200 || identifier.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) {
            failure.add("contact.identifier", .invalid)
        }
        let name = claim.name?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let name, name.count > 100 { failure.add("contact.name", .tooLong(max: 100)) }
        if let email = claim.email, !EmailAddress.isPlausible(email) { failure.add("contact.email", .invalid) }
        var accountId: AccountID?
        if let raw = claim.accountId {
            accountId = AccountID(validating: raw)
            if accountId == nil { failure.add("contact.accountId", .invalid) }
        }
        if !failure.isEmpty { throw APIChannelError.invalid(failure) }
        if let accountId, try await store.account(id: accountId) == nil { throw APIChannelError.notFound("account") }
        let inbound = InboundMessage(
            sender: .init(
                identity: "api:\(inboxId.rawValue):\(identifier)", name: (name?.isEmpty ?? true) ? nil : name, email: claim.email,
                accountId: accountId),
            // Each start is a conversation of its own: the app decides when a new topic begins.
            // The receipt names the user: another user's start with the same id is not a repeat.
            threadKey: "client:\(clientMessageId)", receiptKey: Self.startReceipt(identifier, clientMessageId), text: text,
            subject: Self.subject(text))
        return try await receive(inbound, attachments: attachmentIds, inboxId: inboxId)
    }

    /// The customer's next message in a conversation of this inbox (a resolved one opens again).
    public func append(
        to conversationId: ConversationID, in inboxId: InboxID, text: String, clientMessageId: String, attachmentIds: [AttachmentID]
    ) async throws -> Received {
        _ = try await inbox(inboxId)
        let failure = Self.check(text: text, clientMessageId: clientMessageId, attachments: attachmentIds)
        if !failure.isEmpty { throw APIChannelError.invalid(failure) }
        let inbound = InboundMessage(
            sender: .init(identity: ""), threadKey: "", receiptKey: "append:\(conversationId.rawValue):\(clientMessageId)", text: text,
            conversationId: conversationId)
        return try await receive(inbound, attachments: attachmentIds, inboxId: inboxId)
    }

    func receive(_ inbound: InboundMessage, attachments: [AttachmentID], inboxId: InboxID) async throws -> Received {
        var inbound = inbound
        inbound.uploads = attachments
        inbound.uploader = Self.uploader(inboxId)
        let outcome: ChannelReceiveOutcome
        do {
            outcome = try await conversations.receive(inbound, inboxId: inboxId, reopenWindow: 0)
        } catch StoreError.notFound(let what) {
            throw APIChannelError.notFound(what)
        } catch StoreError.conflict {
            // Two identical requests at once: the second waited for the first's files and found
            // them taken by it. It is a repeat, answered as one.
            guard try await store.channelReceipt(inboxId: inboxId, key: inbound.receiptKey) != nil else {
                throw APIChannelError.notFound("attachment")
            }
            outcome = ChannelReceiveOutcome(duplicate: true)
        }
        if let appended = outcome.appended {
            return Received(conversationId: appended.message.conversationId, message: appended.message, created: true)
        }
        // A repeat: the answer names what the first one stored.
        guard let receipt = try await store.channelReceipt(inboxId: inboxId, key: inbound.receiptKey), let id = receipt.messageId,
            let message = try await store.message(id: id)
        else { throw APIChannelError.notFound("message") }
        return Received(conversationId: message.conversationId, message: message, created: false)
    }

    /// What the app may read of a conversation: its customer's messages, agents' replies and
    /// status changes, never notes, assignments or delivery trouble; and the seq to ask from next
    /// (past what was left out, so a page of notes alone still moves the reader on).
    public func messages(of conversationId: ConversationID, in inboxId: InboxID, since: Int64, limit: Int) async throws -> (
        messages: [Message], nextSince: Int64
    ) {
        _ = try await conversation(conversationId, in: inboxId)
        let scanned = try await store.messages(conversationId: conversationId, since: since, limit: limit)
        let visible = scanned.filter { message in
            switch message.direction {
            case .incoming, .outgoing: true
            case .note: false
            case .system: message.systemEvent?.customerVisibleStatus != nil
            }
        }
        return (visible, scanned.last?.seq ?? since)
    }

    public func conversation(_ id: ConversationID, in inboxId: InboxID) async throws -> Conversation {
        _ = try await inbox(inboxId)
        guard let conversation = try await store.conversation(id: id), conversation.inboxId == inboxId else {
            throw APIChannelError.notFound("conversation")
        }
        return conversation
    }

    /// A start's receipt: per user and client id (a digest keeps long identifiers short).
    static func startReceipt(_ identifier: String, _ clientMessageId: String) -> String {
        "start:" + AttachmentBlobStore.digest(Data("\(identifier)\u{0}\(clientMessageId)".utf8)).prefix(32)
    }

    /// Who a file the backend uploads belongs to until a message claims it.
    public static func uploader(_ inboxId: InboxID) -> Author { Author(kind: .system, id: "channel:\(inboxId.rawValue)") }

    static func check(text: String, clientMessageId: String, attachments: [AttachmentID]) -> ValidationFailure {
        var failure = ValidationFailure()
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && attachments.isEmpty { failure.add("text", .required) }
        if text.count > NewMessage.maxTextLength { failure.add("text", .tooLong(max: NewMessage.maxTextLength)) }
        if clientMessageId.isEmpty { failure.add("clientMessageId", .required) }
        if clientMessageId.count > 100 { failure.add("clientMessageId", .tooLong(max: 100)) }
        if attachments.count > 10 { failure.add("attachmentIds", .tooLong(max: 10)) }
        return failure
    }

    static func subject(_ text: String) -> String? {
        let line = text.split(whereSeparator: \.isNewline).first.map { String($0.prefix(80)) } ?? ""
        return line.isEmpty ? nil : line
    }
}
