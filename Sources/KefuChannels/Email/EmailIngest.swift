import Foundation
import KefuConversations
import KefuCore
import KefuMail
import NIOPosix
import KefuRealtime
import KefuStore
import Logging

/// Received mail → stored conversation message: from the SMTP listener and from
/// `kefu ingest-email` alike. The raw bytes are stored first, so whatever happens to parsing, no
/// mail is lost; the store adds it in one transaction.
public struct EmailIngest: SMTPMailSink {
    public typealias Repositories = MailRepository & InboxRepository & ConversationRepository & ContactRepository & MessageRepository
        & AgentRepository & AttachmentRepository
    let store: any Repositories
    let blobs: any BlobStore
    /// Stores each mail through its threading rules and publishes what it added.
    let conversations: ConversationService
    let settings: EmailSettings
    let replies: EmailReplies
    let logger: Logger

    public init(
        store: any Repositories, blobs: any BlobStore, conversations: ConversationService, settings: EmailSettings, replies: EmailReplies,
        logger: Logger
    ) {
        self.store = store
        self.blobs = blobs
        self.conversations = conversations
        self.settings = settings
        self.replies = replies
        self.logger = logger
    }

    /// Makes sure an email inbox answers the support address (the first email inbox without an
    /// address takes it; with none, one is created) and returns it.
    @discardableResult
    public func prepareInbox() async throws -> Inbox {
        try await store.supportInbox(emailAddress: settings.supportAddress)
    }

    public func recipientPolicy() async -> @Sendable (String) -> RecipientVerdict {
        guard let addresses = try? await ownAddresses() else {
            logger.error("could not read the inboxes' addresses; recipients are deferred (451)")
            return { _ in .tryLater }
        }
        return { address in addresses.contains(EmailSettings.untagged(address).base) ? .accepted : .noSuchMailbox }
    }

    /// Every address Kefu receives mail at: the inboxes' and the support address.
    func ownAddresses() async throws -> Set<String> {
        Set(try await store.listInboxes().compactMap(\.emailAddress) + [settings.supportAddress])
    }

    public func deliver(_ envelope: SMTPEnvelope, data: [UInt8]) async -> SMTPDeliveryResult {
        do {
            let outcome = try await ingest(raw: data, envelope: envelope)
            return .accepted(id: outcome.mailId)
        } catch {
            logger.error("could not store a received mail", metadata: ["error": "\(DatabaseFailure.logged(error))"])
            return .temporaryFailure("Could not store the message now; try again later")
        }
    }

    /// One thread for parsing mail: a flood of heavy mail takes one core at most.
    static let parsing: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// Stores one mail. Throws only when it could not be stored (the sender should retry).
    public func ingest(raw: [UInt8], envelope: SMTPEnvelope?) async throws -> MailIngestOutcome {
        // Parsing a large or deeply nested mail takes seconds of CPU: on a thread of its own,
        // never on the threads that serve HTTP and chat nor on the shared pool SQLite and bcrypt
        // use (two such mails once stalled /healthz for 40 s).
        // The original bytes are kept unless they carry a secret: then only a redacted rendition
        // is (the digest of the original still names a mail without a Message-ID, so a
        // redelivery is recognised). The secret check reads every part: on the same thread.
        let secrets = conversations.secrets
        let (parsed, redacted) = try await Self.parsing.runIfActive {
            let parsed = ParsedMail.parse(raw)
            return (parsed, RedactedMail(parsed, raw: raw, guard: secrets))
        }
        let rawSha = try await blobs.put(Data(redacted.rendition ?? raw))
        let rawDigest = redacted.rendition == nil ? rawSha : AttachmentBlobStore.digest(Data(raw))
        let recipients = (envelope?.recipients ?? []) + (parsed.to + parsed.cc + parsed.deliveredTo).map(\.normalized)
        let tokens = Array(Set(recipients.compactMap { EmailSettings.untagged($0).token })).sorted()
        var inbox: Inbox?
        for base in recipients.map({ EmailSettings.untagged($0).base }) {
            if let found = try await store.inbox(emailAddress: base) {
                inbox = found
                break
            }
        }
        let target: Inbox
        if let inbox { target = inbox } else { target = try await prepareInbox() }

        var files: [InboundMail.File] = []
        for file in redacted.files where !file.bytes.isEmpty {
            let sniffed = AttachmentPolicy.sniff(file.bytes)
            let sha = try await blobs.put(Data(file.bytes))
            files.append(
                InboundMail.File(
                    sha256: sha, size: Int64(file.bytes.count), contentType: sniffed ?? "application/octet-stream",
                    filename: AttachmentPolicy.safeMailFilename(file.filename, sniffedType: sniffed)))
        }
        var automatic = parsed.automatic?.rawValue
        // The null sender (MAIL FROM:<>) only sends bounces and other automatic mail.
        if automatic == nil, envelope?.mailFrom.isEmpty == true { automatic = ParsedMail.Automatic.bounce.rawValue }
        let fromAddress = parsed.from?.normalized
        var mail = InboundMail(
            messageId: parsed.messageId.map { String($0.prefix(250)) } ?? "\(rawDigest)@kefu.invalid", threadIds: parsed.threadIds,
            replyTokens: tokens, conversationNumber: InboundMail.conversationNumber(inSubject: parsed.subject), fromAddress: fromAddress,
            fromName: parsed.from?.name.map { String($0.prefix(100)) }, replyAddress: parsed.replyAddress?.normalized,
            subject: String(parsed.subject.prefix(500)), text: redacted.text, files: files, automatic: automatic, warnings: parsed.warnings,
            rawSha256: rawSha, size: Int64(raw.count), envelopeFrom: envelope?.mailFrom, envelopeTo: envelope?.recipients ?? [],
            locale: MailThreading.guessLocale(parsed.subject + "\n" + parsed.text))
        mail.secretsTakenOut = redacted.kinds
        let outcome = try await conversations.receiveMail(mail, inboxId: target.id, reopenWindow: settings.reopenWindow)
        guard !outcome.duplicate, outcome.appended != nil, let conversation = outcome.conversation else {
            logger.info("duplicate mail ignored", metadata: ["messageId": "\(mail.messageId)"])
            return outcome
        }
        logger.info(
            "mail stored",
            metadata: ["conversation": "\(conversation.number)", "new": "\(outcome.newConversation)", "automatic": "\(automatic ?? "no")"])
        // Never answer robots; never answer ourselves (a loop through a misconfigured relay).
        if outcome.newConversation, automatic == nil, let customer = mail.replyAddress {
            do {
                guard try await !ownAddresses().contains(EmailSettings.untagged(customer).base) else { return outcome }
                try await replies.acknowledge(conversation: conversation, to: customer, locale: mail.locale, inReplyTo: mail.messageId)
            } catch {
                logger.error("could not queue the acknowledgement", metadata: ["error": "\(DatabaseFailure.logged(error))"])
            }
        }
        return outcome
    }
}
