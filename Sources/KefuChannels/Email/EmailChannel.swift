import Foundation
import KefuConversations
import KefuCore
import KefuMail
import KefuRealtime
import KefuStore
import Logging
import NIOSSL
import ServiceLifecycle

/// The email channel's parts, wired once: ingestion (SMTP listener and `kefu ingest-email`),
/// replies and acknowledgements into the outbox, and the sender that empties it.
public struct EmailChannel: Channel {
    public typealias Repositories = EmailIngest.Repositories & EmailReplies.Repositories & OutboxSender.Repositories
        & ConversationService.Repositories

    /// Where the SMTP listener binds, and its optional STARTTLS certificate.
    public struct Listener: Sendable {
        public var host: String
        public var port: Int
        public var tls: NIOSSLContext?
        /// Open connections in the process and per client address.
        public var connectionLimits = ConnectionAdmission<ConnectionGate.Evict>.Limits(maxTotal: 500, maxPerAddress: 20)

        public init(host: String, port: Int, tls: NIOSSLContext? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
        }

        /// "127.0.0.1:2525" (or "[::1]:2525").
        public init?(_ text: String, tls: NIOSSLContext? = nil) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                return nil
            }
            host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            self.port = port
            self.tls = tls
        }
    }

    public let settings: EmailSettings
    public let ingest: EmailIngest
    public let replies: EmailReplies
    public let sender: OutboxSender
    /// The SMTP listener, when Kefu receives mail itself (else an MTA pipes it in).
    let listener: Listener?
    let onListening: @Sendable (Int) -> Void
    let logger: Logger

    /// The channel reports what arrives (and how replies' mail fares) through `conversations`.
    public init(
        store: any Repositories, blobs: any BlobStore, conversations: ConversationService, settings: EmailSettings,
        listener: Listener? = nil, onListening: @escaping @Sendable (Int) -> Void = { _ in }, expectations: (any ReplyExpectations)? = nil,
        logger: Logger
    ) {
        self.listener = listener
        self.onListening = onListening
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let replies = EmailReplies(store: store, blobs: blobs, settings: settings, wake: { wake.yield() }, expectations: expectations)
        self.settings = settings
        self.replies = replies
        self.ingest = EmailIngest(store: store, blobs: blobs, conversations: conversations, settings: settings, replies: replies, logger: logger)
        self.sender = OutboxSender(
            store: store, blobs: blobs, client: settings.relay.map { SMTPClient(relay: $0, hostname: settings.domain) }, replies: replies,
            conversations: conversations, wakeups: wakeups, logger: logger)
        self.logger = logger
    }

    /// The channel on its own (`kefu ingest-email`, tests): its events go to `hub`.
    public init(
        store: any Repositories, blobs: any BlobStore, hub: EventHub, settings: EmailSettings, expectations: (any ReplyExpectations)? = nil,
        logger: Logger
    ) {
        // On its own the channel still answers by mail what must be answered at once (the warning
        // to a customer whose mail carried a secret): into the outbox, which the server sends.
        let replies = EmailReplies(store: store, blobs: blobs, settings: settings, wake: {}, expectations: expectations)
        self.init(
            store: store, blobs: blobs,
            conversations: ConversationService(store: store, bus: hub, presence: PresenceRegistry())
                .delivering(through: MailReplyDelivery(store: store, replies: replies)),
            settings: settings, expectations: expectations, logger: logger)
    }

    /// Replies in mail conversations into the outbox (the stand-alone channel's delivery).
    struct MailReplyDelivery: ReplyDelivery {
        let store: any Repositories
        let replies: EmailReplies

        func deliver(_ reply: AppendResult) async throws {
            guard let inbox = try await store.inbox(id: reply.inboxId), inbox.kind == .email,
                let conversation = try await store.conversation(id: reply.message.conversationId)
            else { return }
            try await replies.enqueueReply(reply.message, in: conversation, inbox: inbox)
        }
    }

    public var kind: InboxKind { .email }

    public func deliver(_ reply: Message, in conversation: Conversation, inbox: Inbox) async throws {
        guard reply.direction == .outgoing else { return }
        try await replies.enqueueReply(reply, in: conversation, inbox: inbox)
    }

    public func deliverSurvey(_ invitation: SurveyInvitation) async throws {
        try await replies.enqueueSurvey(invitation)
    }

    public var services: [any Service] { services(listener: listener, onListening: onListening) }

    /// The long-running parts: the outbox sender always, the SMTP listener when configured.
    func services(listener: Listener?, onListening: @escaping @Sendable (Int) -> Void = { _ in }) -> [any Service] {
        var services: [any Service] = [sender]
        if let listener {
            services.append(
                SMTPServer(
                    configuration: .init(
                        host: listener.host, port: listener.port, hostname: settings.domain, maxMessageSize: settings.maxMessageSize,
                        tls: listener.tls, connectionLimits: listener.connectionLimits),
                    sink: ingest, logger: logger, onListening: { onListening($0.port ?? 0) }))
        }
        return services
    }
}
