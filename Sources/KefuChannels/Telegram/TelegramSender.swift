import Foundation
import KefuConversations
import KefuCore
import KefuStore
import Logging
import ServiceLifecycle
import Synchronization

/// Sends the Telegram outbox: agents' replies, the bot's notices and announcements. Each
/// delivery goes out in parts (the text, then each file as an upload); the message id Telegram
/// gives a part is stored before the next part is sent, so a retry after a crash or an error
/// sends only what is missing. Delivery is at least once: a crash between Telegram's answer and
/// that write sends that one part again.
///
/// Limits are kept per bot before Telegram has to say so; a 429 is honoured with its
/// `retry_after`; a permanent refusal (the customer blocked the bot, the chat is gone) fails the
/// delivery and says so in the conversation, live.
public struct TelegramSender: Service {
    public typealias Repositories = ChannelOutboxRepository & TelegramBotRepository & MessageRepository & ConversationRepository
        & InboxRepository & ChannelThreadRepository

    let store: any Repositories
    let bots: TelegramBots
    let blobs: any BlobStore
    let conversations: ConversationService
    let wakeups: AsyncStream<Void>
    let replies: TelegramReplies
    let logger: Logger
    let now: @Sendable () -> Date
    let pollInterval: Duration
    let limits = RateBook()

    /// Delays before attempts 2, 3, …; the last one repeats until `maxAttempts`.
    static let backoff: [TimeInterval] = [5, 30, 120, 600, 1800, 3600]
    static let maxAttempts = 30  // about a day
    static let lease: TimeInterval = 120
    /// The longest 429 `retry_after` honoured as given.
    static let longestRetryAfter = 3600
    /// A wait longer than this puts the delivery back in the queue instead of holding the sender.
    static let longestInlineWait: TimeInterval = 2

    public init(
        store: any Repositories, bots: TelegramBots, blobs: any BlobStore, conversations: ConversationService, replies: TelegramReplies,
        wakeups: AsyncStream<Void>, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }, pollInterval: Duration = .seconds(2)
    ) {
        self.store = store
        self.bots = bots
        self.blobs = blobs
        self.conversations = conversations
        self.replies = replies
        self.wakeups = wakeups
        self.logger = logger
        self.now = now
        self.pollInterval = pollInterval
    }

    public static func delay(afterAttempt attempt: Int) -> TimeInterval {
        backoff[min(max(attempt, 1), backoff.count) - 1]
    }

    public func run() async throws {
        await reconcile()
        await runWorkTicks(wakeups: wakeups, every: pollInterval, sweepEvery: .seconds(300), sweep: { await reconcile() }) { await sendDue() }
    }

    /// Replies stored just before a crash, never queued, are queued now.
    func reconcile() async {
        do {
            for message in try await store.unsentChannelReplies(inboxKind: .telegram, since: now().addingTimeInterval(-86400), limit: 100) {
                guard let conversation = try await store.conversation(id: message.conversationId) else { continue }
                try await replies.enqueue(message, in: conversation)
            }
        } catch {
            logger.error("Telegram outbox reconciliation failed", metadata: ["error": "\(DatabaseFailure.logged(error))"])
        }
    }

    /// Sends every due delivery (also used by tests).
    public func sendDue() async {
        while !Task.isCancelled {
            let batch: [ChannelDelivery]
            do {
                batch = try await store.claimDueDeliveries(inboxKind: .telegram, now: now(), lease: Self.lease, limit: 20)
            } catch {
                logger.error("could not read the Telegram outbox", metadata: ["error": "\(DatabaseFailure.logged(error))"])
                return
            }
            if batch.isEmpty { return }
            // Each bot's deliveries in order, bots side by side: a slow bot does not hold the others.
            let byInbox = Dictionary(grouping: batch, by: \.inboxId)
            await withTaskGroup(of: Void.self) { group in
                for (inbox, deliveries) in byInbox {
                    group.addTask { await send(deliveries, of: inbox) }
                }
            }
        }
    }

    /// One bot's deliveries, in order: its record and client are read once for all of them.
    func send(_ deliveries: [ChannelDelivery], of inbox: InboxID) async {
        let api: TelegramBotAPI
        do {
            guard let bot = try await store.telegramBot(inboxId: inbox) else {
                for delivery in deliveries { try await fail(delivery, reason: "the inbox has no bot") }
                return
            }
            api = try bots.api(for: bot)
        } catch {
            for delivery in deliveries { await retry(delivery, reason: "\(error)") }
            return
        }
        for delivery in deliveries { await send(delivery, api: api) }
    }

    func send(_ delivery: ChannelDelivery, api: TelegramBotAPI) async {
        do {
            var sent = delivery.sentParts
            let replyTo = delivery.payload.replyTo.flatMap(Int64.init)
            for part in delivery.payload.parts where sent[part] == nil {
                let wait = limits.wait(delivery.inboxId, for: delivery.target, now: now())
                if wait > Self.longestInlineWait {
                    try await store.deferDelivery(delivery, until: now().addingTimeInterval(wait))
                    return
                }
                if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                do {
                    let message = try await sendPart(part, of: delivery, api: api, replyTo: replyTo)
                    limits.record(delivery.inboxId, delivery.target, at: now())
                    sent[part] = "\(message.messageId)"
                    try await store.markDeliveryPart(id: delivery.id, part: part, channelId: "\(message.messageId)")
                } catch TelegramError.refused(429, let description, let retryAfter) {
                    // Telegram's own waits are seconds to minutes; a larger one is capped at an hour.
                    let until = now().addingTimeInterval(TimeInterval(min(max(retryAfter ?? 5, 1), Self.longestRetryAfter)))
                    limits.pause(delivery.inboxId, until: until)
                    try await store.deferDelivery(delivery, until: until)
                    logger.warning("Telegram asked to slow down", metadata: ["retryAfter": "\(retryAfter ?? 0)", "description": "\(description)"])
                    return
                }
            }
            guard try await settled(store.markDeliverySent(delivery, at: now()), delivery) else { return }
            await announce(delivery, status: .sent)
        } catch let error as TelegramError where error.isPermanent {
            try? await fail(delivery, reason: Self.reason(error))
        } catch is CancellationError {
            return
        } catch {
            await retry(delivery, reason: (error as? TelegramError).map(Self.reason) ?? "\(error)")
        }
    }

    func sendPart(_ part: String, of delivery: ChannelDelivery, api: TelegramBotAPI, replyTo: Int64?) async throws -> TelegramBotAPI.SentMessage {
        if part.hasPrefix("text:"), let index = Int(part.dropFirst(5)) {
            let pieces = delivery.payload.textPieces
            guard pieces.indices.contains(index) else { throw TelegramError.unavailable("an unknown part") }
            let last = index == pieces.count - 1
            return try await api.sendMessage(chat: delivery.target, text: pieces[index], replyTo: replyTo, buttons: last ? delivery.payload.buttons : [])
        }
        guard part.hasPrefix("file:"), let index = Int(part.dropFirst(5)), delivery.payload.files.indices.contains(index) else {
            throw TelegramError.unavailable("an unknown part")
        }
        let file = delivery.payload.files[index]
        let data = try await blobs.get(file.sha256)
        // Pictures Telegram can show as photos (and only up to its 10 MB photo limit) go as
        // photos; everything else as a document, byte for byte.
        let asPhoto = ["image/jpeg", "image/png", "image/webp"].contains(file.contentType) && data.count <= 10 << 20
        return try await api.send(
            asPhoto ? .photo : .document, chat: delivery.target, data: data, filename: file.filename, contentType: file.contentType,
            replyTo: replyTo)
    }

    func retry(_ delivery: ChannelDelivery, reason: String) async {
        do {
            if delivery.attempts >= Self.maxAttempts {
                try await fail(delivery, reason: "gave up after \(delivery.attempts) attempts: \(reason)")
                return
            }
            let recorded = try await store.markDeliveryRetry(
                delivery, error: reason, nextAttemptAt: now().addingTimeInterval(Self.delay(afterAttempt: delivery.attempts)))
            guard settled(recorded, delivery) else { return }
            await announce(delivery, status: .queued)
            logger.warning("Telegram delivery will be retried", metadata: ["id": "\(delivery.id)", "reason": "\(reason)"])
        } catch {
            logger.error("Telegram outbox bookkeeping failed", metadata: ["id": "\(delivery.id)", "error": "\(DatabaseFailure.logged(error))"])
        }
    }

    /// Whether this claim's outcome was recorded; when not, another sender took the delivery over
    /// while this one stalled past the lease, and its outcome stands.
    func settled(_ recorded: Bool, _ delivery: ChannelDelivery) -> Bool {
        if !recorded { logger.warning("delivery was taken over by another sender meanwhile; its outcome stands", metadata: ["id": "\(delivery.id)"]) }
        return recorded
    }

    /// Marks the delivery failed and says so in its conversation, where the agent will see it.
    func fail(_ delivery: ChannelDelivery, reason: String) async throws {
        guard try await settled(store.markDeliveryFailed(delivery, error: reason), delivery) else { return }
        await announce(delivery, status: .failed)
        logger.error("Telegram delivery failed", metadata: ["id": "\(delivery.id)", "reason": "\(reason)"])
        guard let conversationId = delivery.conversationId else { return }
        try await conversations.record(
            .deliveryFailed(outboxId: delivery.id, reason: reason), in: conversationId, clientMessageId: "delivery-failed:\(delivery.id)")
    }

    func announce(_ delivery: ChannelDelivery, status: OutboxStatus) async {
        guard let id = delivery.conversationId else { return }
        await conversations.deliveryChanged(in: id, message: delivery.messageRef, status: status.rawValue)
    }

    /// Telegram's own words ("Forbidden: bot was blocked by the user"), never a URL.
    static func reason(_ error: TelegramError) -> String {
        switch error {
        case .refused(let code, let description, _): "Telegram \(code): \(description)"
        case .unavailable(let why): "Telegram unavailable: \(why)"
        case .fileTooLarge(let size): "file too large (\(size) bytes)"
        }
    }
}

/// Each bot's recent sends, shared by the sender's calls.
final class RateBook: Sendable {
    private let state = Mutex<[InboxID: TelegramRateLimits]>([:])

    func wait(_ bot: InboxID, for chat: String, now: Date) -> TimeInterval {
        state.withLock { $0[bot, default: TelegramRateLimits()].wait(for: chat, now: now) }
    }

    func record(_ bot: InboxID, _ chat: String, at: Date) {
        state.withLock { $0[bot, default: TelegramRateLimits()].record(chat, at: at) }
    }

    func pause(_ bot: InboxID, until: Date) {
        state.withLock { $0[bot, default: TelegramRateLimits()].pause(until: until) }
    }
}
