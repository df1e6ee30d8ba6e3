import Foundation
import KefuConversations
import KefuCore
import KefuMail
import KefuRealtime
import KefuStore
import Logging
import ServiceLifecycle

/// Sends queued mail through the relay, one lease at a time, with retries:
/// a 4xx reply or a network failure is retried with growing delays (up to two days), a 5xx
/// reply fails the mail at once and tells the agents in the conversation.
///
/// Delivery is at least once: if Kefu stops between the relay's "250" and recording it, the
/// lease runs out and the same bytes, with the same Message-ID, go again; mail clients and
/// Gmail show one message per Message-ID, so the customer sees it once.
public struct OutboxSender: Service {
    public typealias Repositories = MailRepository & MessageRepository & ConversationRepository & InboxRepository
    let store: any Repositories
    let blobs: any BlobStore
    let client: SMTPClient?
    let replies: EmailReplies
    /// Where the agents hear how their replies' mail fares.
    let conversations: ConversationService
    let wakeups: AsyncStream<Void>
    let logger: Logger
    let now: @Sendable () -> Date
    let pollInterval: Duration

    /// Delays before attempts 2, 3, …; the last one repeats until `maxAttempts`.
    static let backoff: [TimeInterval] = [60, 300, 900, 1800, 3600, 7200, 14400]
    static let maxAttempts = 18  // about two days
    static let lease: TimeInterval = 120

    public init(
        store: any Repositories, blobs: any BlobStore, client: SMTPClient?, replies: EmailReplies, conversations: ConversationService,
        wakeups: AsyncStream<Void>, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }, pollInterval: Duration = .seconds(5)
    ) {
        self.store = store
        self.blobs = blobs
        self.client = client
        self.replies = replies
        self.conversations = conversations
        self.wakeups = wakeups
        self.logger = logger
        self.now = now
        self.pollInterval = pollInterval
    }

    public static func delay(afterAttempt attempt: Int) -> TimeInterval {
        backoff[min(max(attempt, 1), backoff.count) - 1]
    }

    public func run() async throws {
        // Replies stored just before a crash, whose mail was never queued, are queued now.
        await reconcile()
        await runWorkTicks(wakeups: wakeups, every: pollInterval, sweepEvery: .seconds(300), sweep: { await reconcile() }) { await sendDue() }
    }

    func reconcile() async {
        do {
            for message in try await store.unsentReplies(since: now().addingTimeInterval(-7 * 86400), limit: 100) {
                guard let conversation = try await store.conversation(id: message.conversationId),
                    let inbox = try await store.inbox(id: conversation.inboxId)
                else { continue }
                try await replies.enqueueReply(message, in: conversation, inbox: inbox)
            }
        } catch {
            logger.error("outbox reconciliation failed", metadata: ["error": "\(DatabaseFailure.logged(error))"])
        }
    }

    /// Sends every due mail (also used by tests and `kefu` commands).
    public func sendDue() async {
        while !Task.isCancelled {
            let batch: [OutboxMail]
            do {
                // One at a time: mails are sent one after another, and a lease taken for ten ran
                // out under slow relays while the last were still waiting, so another instance
                // took them and they went twice. One send (at most a minute) fits its lease.
                batch = try await store.claimDueMail(now: now(), lease: Self.lease, limit: 1)
            } catch {
                logger.error("could not read the outbox", metadata: ["error": "\(DatabaseFailure.logged(error))"])
                return
            }
            if batch.isEmpty { return }
            for mail in batch { await handle(mail) }
        }
    }

    /// A chat reply the visitor has read in the widget meanwhile is not mailed (nor composed);
    /// without a relay, due mail stays in the local outbox; everything else goes to the relay.
    func handle(_ mail: OutboxMail) async {
        do {
            var mail = mail
            if mail.kind == .chatReply {
                // Composed only now that it is due and still unread (ChatReplyMail.swift); a reply
                // that is gone or was read, or a visitor without an address, ends it.
                guard let ref = mail.messageRef, let message = try await store.message(id: ref),
                    let conversation = try await store.conversation(id: message.conversationId), conversation.contactReadSeq < message.seq,
                    let composed = try await replies.composeChatReply(mail, message: message, in: conversation)
                else {
                    if try await settled(store.markMail(mail, status: .skipped), mail) { await announce(mail, status: .skipped) }
                    return
                }
                mail = composed
            }
            guard let client else {
                if try await settled(store.markMail(mail, status: .local), mail) { await announce(mail, status: .local) }
                return
            }
            await send(mail, with: client)
        } catch {
            logger.error("outbox bookkeeping failed", metadata: ["id": "\(mail.id)", "error": "\(DatabaseFailure.logged(error))"])
        }
    }

    func send(_ mail: OutboxMail, with client: SMTPClient) async {
        do {
            let raw = Array(try await blobs.get(mail.rawSha256))
            do {
                let reply = try await client.send(from: mail.mailFrom, to: mail.recipients, message: raw)
                guard try await settled(store.markMailSent(mail, at: now()), mail) else { return }
                logger.info("mail sent", metadata: ["messageId": "\(mail.messageId)", "relay": "\(reply)"])
                await announce(mail, status: .sent)
            } catch SMTPSendError.temporary(let reason) {
                if mail.attempts >= Self.maxAttempts {
                    try await fail(mail, reason: "gave up after \(mail.attempts) attempts: \(reason)")
                } else {
                    let next = now().addingTimeInterval(Self.delay(afterAttempt: mail.attempts))
                    guard try await settled(store.markMailRetry(mail, error: reason, nextAttemptAt: next), mail) else { return }
                    await announce(mail, status: .queued)
                    logger.warning("mail will be retried", metadata: ["messageId": "\(mail.messageId)", "reason": "\(reason)"])
                }
            } catch SMTPSendError.permanent(let reason) {
                try await fail(mail, reason: reason)
            }
        } catch {
            logger.error("outbox bookkeeping failed", metadata: ["id": "\(mail.id)", "error": "\(DatabaseFailure.logged(error))"])
        }
    }

    /// Whether this claim's outcome was recorded; when not, another instance took the mail over
    /// while this one stalled past the lease, and its outcome stands.
    func settled(_ recorded: Bool, _ mail: OutboxMail) -> Bool {
        if !recorded { logger.warning("mail was taken over by another sender meanwhile; its outcome stands", metadata: ["id": "\(mail.id)"]) }
        return recorded
    }

    /// Tells the agents watching the conversation (their console shows each reply's mail state).
    func announce(_ mail: OutboxMail, status: OutboxStatus) async {
        guard let id = mail.conversationId else { return }
        await conversations.deliveryChanged(in: id, message: mail.messageRef, status: status.rawValue)
    }

    /// Marks the mail failed and says so in its conversation, where the agent will see it.
    func fail(_ mail: OutboxMail, reason: String) async throws {
        guard try await settled(store.markMailFailed(mail, error: reason), mail) else { return }
        await announce(mail, status: .failed)
        logger.error("mail failed", metadata: ["messageId": "\(mail.messageId)", "reason": "\(reason)"])
        guard let conversationId = mail.conversationId else { return }
        try await conversations.record(.mailFailed(outboxId: mail.id, reason: reason), in: conversationId, clientMessageId: "mail-failed:\(mail.id)")
    }
}

extension OutboxSender {
    /// A sender on its own (a test, a command): its events go to `hub`.
    public init(
        store: any Repositories & ConversationService.Repositories, blobs: any BlobStore, client: SMTPClient?, replies: EmailReplies,
        hub: EventHub, wakeups: AsyncStream<Void>, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(
            store: store, blobs: blobs, client: client, replies: replies,
            conversations: ConversationService(store: store, bus: hub, presence: PresenceRegistry()), wakeups: wakeups, logger: logger, now: now)
    }
}
