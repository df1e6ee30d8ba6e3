import AsyncHTTPClient
import Foundation
import KefuConversations
import KefuCore
import KefuLocalization
import KefuStore
import Logging
import ServiceLifecycle

/// The Telegram channel, wired once: the bots (added by admins), updates in (webhook or long
/// polling, through `TelegramIngest`), and replies out through the Telegram outbox.
public struct TelegramChannel: Channel {
    public typealias Repositories = TelegramBots.Repositories & TelegramIngest.Repositories & TelegramSender.Repositories
        & TelegramUpdates.Repositories & TelegramReplies.Repositories & InstanceStateRepository

    public let bots: TelegramBots
    public let ingest: TelegramIngest
    public let replies: TelegramReplies
    public let sender: TelegramSender
    let updates: TelegramUpdates
    let store: any InstanceStateRepository
    let logger: Logger

    public init(
        store: any Repositories, blobs: any BlobStore, conversations: ConversationService, secretKey: Data, settings: TelegramSettings,
        catalog: Catalog = .standard, client: HTTPClient = TelegramBotAPI.client, expectations: (any ReplyExpectations)? = nil,
        surveys: (any SurveyAnswers)? = nil, logger: Logger
    ) {
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let bots = TelegramBots(store: store, secretKey: secretKey, settings: settings, client: client)
        let replies = TelegramReplies(store: store, signature: AgentSignature(publicURL: settings.publicURL), wake: { wake.yield() })
        let ingest = TelegramIngest(
            store: store, conversations: conversations, blobs: blobs, catalog: catalog, settings: settings, wake: { wake.yield() },
            expectations: expectations, surveys: surveys, logger: logger)
        self.bots = bots
        self.replies = replies
        self.ingest = ingest
        self.sender = TelegramSender(
            store: store, bots: bots, blobs: blobs, conversations: conversations, replies: replies, wakeups: wakeups, logger: logger)
        self.updates = TelegramUpdates(store: store, bots: bots, ingest: ingest, logger: logger)
        self.store = store
        self.logger = logger
    }

    public var kind: InboxKind { .telegram }

    public func deliver(_ reply: Message, in conversation: Conversation, inbox: Inbox) async throws {
        try await replies.enqueue(reply, in: conversation)
    }

    public func deliverSurvey(_ invitation: SurveyInvitation) async throws {
        try await replies.enqueueSurvey(invitation)
    }

    /// Polling and sending run on one instance at a time: Telegram allows one `getUpdates` per
    /// bot, and one sender keeps each bot's rate limits and each chat's order.
    public var services: [any Service] {
        [OneInstanceAtATime("telegram", store: store, services: [updates, sender], logger: logger)]
    }
}
