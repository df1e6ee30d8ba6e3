import Foundation
import KefuChannels
import KefuCore
import KefuMail
import KefuRealtime
import KefuStore
import KefuTestSupport
import Logging
import SQLKit
import ServiceLifecycle
import Testing

/// A relay for the tests: our own SMTP server keeping what it receives, answering as told.
actor TestRelay: SMTPMailSink {
    var received: [(SMTPEnvelope, [UInt8])] = []
    var answer: SMTPDeliveryResult = .accepted(id: "relay")

    nonisolated func recipientPolicy() async -> @Sendable (String) -> RecipientVerdict { { _ in .accepted } }

    func deliver(_ envelope: SMTPEnvelope, data: [UInt8]) async -> SMTPDeliveryResult {
        if case .accepted = answer { received.append((envelope, data)) }
        return answer
    }

    func set(_ answer: SMTPDeliveryResult) { self.answer = answer }
}

@Suite(.serialized) struct EmailChannelTests {
    /// The mail corpus of KefuMailTests, read from the source tree.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KefuMailTests/Fixtures")

    /// A store, a relay on a loopback port, and the email channel between them.
    func withChannel(
        _ backend: TestBackend, _ body: @Sendable (SQLStore, EmailChannel, TestRelay, AttachmentBlobStore) async throws -> Void
    ) async throws {
        let relay = TestRelay()
        let logger = Logger(label: "email.test")
        let (ports, portFound) = AsyncStream.makeStream(of: Int.self)
        let server = SMTPServer(
            configuration: .init(host: "127.0.0.1", port: 0, hostname: "relay.test"), sink: relay, logger: logger,
            onListening: { portFound.yield($0.port ?? 0) })
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-mail-\(UUID().uuidString)")
            let blobs = AttachmentBlobStore(dataDirectory: directory)
            try await withTestStore(backend) { store in
                var settings = EmailSettings(
                    supportAddress: "support@kefu.test", supportName: "Kefu 客服", relay: SMTPRelay(host: "127.0.0.1", port: port),
                    chatReplyDelay: 0)
                settings.signature = AgentSignature(publicURL: "https://help.kefu.test")
                let channel = EmailChannel(store: store, blobs: blobs, hub: EventHub(), settings: settings, logger: logger)
                try await channel.ingest.prepareInbox()
                try await body(store, channel, relay, blobs)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// When the database cannot say which addresses are Kefu's, a recipient is deferred (451,
    /// the sender retries), never refused (550 would bounce the customer's mail).
    @Test(arguments: TestBackend.available)
    func recipientsAreDeferredWhileTheDatabaseCannotAnswer(_ backend: TestBackend) async throws {
        try await withChannel(backend) { store, channel, _, _ in
            let policy = await channel.ingest.recipientPolicy()
            #expect(policy("support@kefu.test") == .accepted)
            #expect(policy("someone@elsewhere.example") == .noSuchMailbox)
            try await store.database.write { try await $0.raw("ALTER TABLE inboxes RENAME TO inboxes_away").run() }
            let failing = await channel.ingest.recipientPolicy()
            #expect(failing("support@kefu.test") == .tryLater)
            #expect(failing("someone@elsewhere.example") == .tryLater)
            try await store.database.write { try await $0.raw("ALTER TABLE inboxes_away RENAME TO inboxes").run() }
            #expect(await channel.ingest.recipientPolicy()("support@kefu.test") == .accepted)
        }
    }

    @Test(arguments: TestBackend.available)
    func mailInReplyOutAndTheCustomersAnswerStayOneConversation(_ backend: TestBackend) async throws {
        try await withChannel(backend) { store, channel, relay, blobs in
            let raw = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("foxmail-gbk.eml")))
            let first = try await channel.ingest.ingest(raw: raw, envelope: nil)
            let conversation = try #require(first.conversation)
            #expect(first.newConversation)
            #expect(first.appended?.message.text.contains("钱包 UID 88001234") == true)

            // The acknowledgement goes out first: Chinese, with the number, marked automatic.
            await channel.sender.sendDue()
            var sent = await relay.received
            #expect(sent.count == 1)
            let ack = ParsedMail.parse(try #require(sent.first?.1))
            #expect(ack.subject.hasPrefix("已收到：[#\(conversation.number)]"))
            #expect(ack.text.contains("24 小时内"))
            #expect(ack.automatic == .autoReply)
            #expect(ack.inReplyTo == ["202611251002110129381@foxmail.com"])
            #expect(sent.first?.0.recipients == ["zhang.zhe@foxmail.com"])

            // An agent's reply becomes a threaded mail with the conversation's reply address.
            let agent = try await store.createAgent(email: "wang@kefu.test", name: "王敏", role: .agent, passwordHash: "x", mustChangePassword: false, audit: nil)
            let reply = try await store.appendMessage(
                conversationId: conversation.id, NewMessage(direction: .outgoing, author: .agent(agent.id), text: "您好，提现已在处理中。"))
            try await Self.registry(store, channel).deliver(reply)
            try await Self.registry(store, channel).deliver(reply)  // delivered twice (a retry): still one mail
            await channel.sender.sendDue()
            sent = await relay.received
            #expect(sent.count == 2)
            let answer = ParsedMail.parse(try #require(sent.last?.1))
            #expect(answer.subject == "Re: [#\(conversation.number)] 提现一直审核中，请帮忙查询（堃）")
            #expect(answer.text.hasPrefix("您好，提现已在处理中。"))
            #expect(answer.text.contains("王敏"))
            // The signature carries the agent's code and where to check it.
            let code = try #require(reply.message.agentCode)
            #expect(answer.text.contains(AgentCode.display(code)) && answer.text.contains("https://help.kefu.test/help/verify"))
            #expect(answer.references.first == "202611251002110129381@foxmail.com")
            let replyTo = try #require(answer.replyTo.first?.address)
            #expect(replyTo.hasPrefix("support+c-") && replyTo.hasSuffix("@kefu.test"))
            #expect(try await store.outbox(status: .sent, limit: 10).count == 2)

            // The customer answers the reply (their client quotes it): same conversation.
            let customerReply = """
                From: =?UTF-8?B?5byg5Zac?= <zhang.zhe@foxmail.com>\r
                To: <\(replyTo)>\r
                Subject: Re: \(answer.subject)\r
                Message-ID: <answer.1@foxmail.com>\r
                In-Reply-To: <\(answer.messageId ?? "")>\r
                Content-Type: text/plain; charset=utf-8\r
                \r
                谢谢！\r
                \r
                ------------------ 原始邮件 ------------------\r
                您好，提现已在处理中。\r

                """
            let second = try await channel.ingest.ingest(raw: Array(customerReply.utf8), envelope: nil)
            #expect(second.conversation?.id == conversation.id)
            #expect(!second.newConversation)
            // No second acknowledgement for an ongoing conversation.
            await channel.sender.sendDue()
            #expect(await relay.received.count == 2)
            _ = blobs
        }
    }

    @Test(arguments: TestBackend.available)
    func theRelaysAnswersDecideRetryOrFailureAndRobotsGetNoAcknowledgement(_ backend: TestBackend) async throws {
        try await withChannel(backend) { store, channel, relay, _ in
            // An auto-reply and a bounce are stored but never answered.
            for name in ["autoreply.eml", "bounce.eml", "mailing-list.eml"] {
                let raw = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
                let outcome = try await channel.ingest.ingest(raw: raw, envelope: nil)
                #expect(outcome.appended != nil)
            }
            #expect(try await store.outbox(status: nil, limit: 10).isEmpty)

            // 4xx: kept for a retry later. 5xx: failed, and the conversation says so.
            await relay.set(.temporaryFailure("mailbox busy"))
            let raw = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("big5.eml")))
            let outcome = try await channel.ingest.ingest(raw: raw, envelope: nil)
            await channel.sender.sendDue()
            let queued = try await store.outbox(status: .queued, limit: 10)
            #expect(queued.count == 1)
            #expect(queued.first?.lastError?.hasPrefix("451") == true)
            #expect(queued.first?.attempts == 1)

            await relay.set(.rejected("no such user"))
            let conversation = try #require(outcome.conversation)
            let reply = try await store.appendMessage(
                conversationId: conversation.id, NewMessage(direction: .outgoing, author: .system, text: "您好"))
            try await Self.registry(store, channel).deliver(reply)
            await channel.sender.sendDue()
            let failed = try await store.outbox(status: .failed, limit: 10)
            #expect(failed.count == 1)
            #expect(failed.first?.lastError?.hasPrefix("554") == true)
            let history = try await store.messages(conversationId: conversation.id, since: 0, limit: 20)
            #expect(history.last?.direction == .system)
            #expect(history.last?.text.hasPrefix("mail:failed") == true)
        }
    }

    @Test(arguments: TestBackend.available)
    func aChatContinuesByMailWhenTheVisitorIsGone(_ backend: TestBackend) async throws {
        try await withChannel(backend) { store, channel, relay, _ in
            let chat = try await store.createInbox(name: "Web", kind: .webchat, audit: nil)
            let visitor = try await store.createContact(name: "陈先生", email: nil, locale: "zh-CN")
            _ = try await store.createWidgetSession(
                inboxId: chat.id, contactId: visitor.id, tokenHash: "h1", claimedEmail: "chen@example.cn", claimedWalletUid: nil,
                locale: "zh-CN", topic: nil, userAgent: nil, clientAddress: nil, expiresAt: Date().addingTimeInterval(3600))
            let conversation = try await store.createConversation(inboxId: chat.id, contactId: visitor.id, subject: "提现")
            _ = try await store.appendMessage(
                conversationId: conversation.id, NewMessage(direction: .incoming, author: .contact(visitor.id), text: "有人吗？"))

            // Read in the widget before it was due: no mail.
            let read = try await store.appendMessage(conversationId: conversation.id, NewMessage(direction: .outgoing, author: .system, text: "您好，在的。"))
            try await Self.registry(store, channel).deliver(read)
            _ = try await store.markRead(conversationId: conversation.id, by: .contact, upTo: read.message.seq)
            await channel.sender.sendDue()
            #expect(await relay.received.isEmpty)
            // Skipped without ever being composed: no bytes in the blob store.
            let skipped = try await store.outbox(status: .skipped, limit: 10)
            #expect(skipped.count == 1)
            #expect(skipped.first?.isComposed == false)

            // Unread: it goes to the address the visitor left, in their language.
            let unread = try await store.appendMessage(
                conversationId: conversation.id, NewMessage(direction: .outgoing, author: .system, text: "提现已处理，请查收。"))
            try await Self.registry(store, channel).deliver(unread)
            // Queued for its due time with its recipient and subject, composed only when sent.
            let waiting = try #require(try await store.outbox(status: .queued, limit: 10).first)
            #expect(!waiting.isComposed && waiting.recipients == ["chen@example.cn"] && waiting.messageRef == unread.message.id)
            #expect(!waiting.messageId.isEmpty)
            await channel.sender.sendDue()
            let sentRow = try #require(try await store.outboxMail(id: waiting.id))
            #expect(sentRow.status == .sent && sentRow.isComposed && sentRow.messageId == waiting.messageId)
            let sent = await relay.received
            #expect(sent.count == 1)
            #expect(sent.first?.0.recipients == ["chen@example.cn"])
            let mail = ParsedMail.parse(try #require(sent.first?.1))
            #expect(mail.subject == "[#\(conversation.number)] 客服回复了您的在线咨询")
            #expect(mail.text.contains("提现已处理，请查收。"))
            #expect(mail.messageId == sentRow.messageId)
            #expect(try await store.composeOutboxMail(
                id: waiting.id, ComposedOutboxMail(mailFrom: "x@kefu.test", recipients: ["x@kefu.test"], subject: "x", rawSha256: "00"))
                == false, "a composed mail keeps its bytes")

            // Their answer by mail continues the same chat conversation.
            let answer = "From: chen@example.cn\r\nTo: \(mail.replyTo.first?.address ?? "")\r\nSubject: Re: \(mail.subject)\r\nMessage-ID: <c1@example.cn>\r\n\r\n收到，谢谢\r\n"
            let outcome = try await channel.ingest.ingest(raw: Array(answer.utf8), envelope: nil)
            #expect(outcome.conversation?.id == conversation.id)
        }
    }

    @Test(arguments: TestBackend.available)
    func aReplySurvivesARelayOutageAndARestart(_ backend: TestBackend) async throws {
        try await withChannel(backend) { store, channel, relay, blobs in
            let raw = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("gmail-utf8-reply.eml")))
            _ = try await channel.ingest.ingest(raw: raw, envelope: nil)
            // The relay is down (nothing listens on the port): the mail waits with the reason.
            let deadPort = SMTPRelay(host: "127.0.0.1", port: 1)
            let clock = ManualClock(Date())
            let down = OutboxSender(
                store: store, blobs: blobs, client: SMTPClient(relay: deadPort, hostname: "kefu.test", timeout: .seconds(5)),
                replies: channel.replies, hub: EventHub(), wakeups: AsyncStream { $0.finish() }, logger: Logger(label: "test"),
                now: { clock.now })
            await down.sendDue()
            let waiting = try #require(try await store.outbox(status: .queued, limit: 10).first)
            #expect(waiting.lastError?.contains("connection") == true || waiting.lastError?.contains("refused") == true)
            #expect(waiting.nextAttemptAt > clock.now)
            // Kefu restarts (a new sender, same database); once the retry is due, it goes out.
            clock.advance(by: OutboxSender.delay(afterAttempt: 1) + 1)
            let restarted = OutboxSender(
                store: store, blobs: blobs, client: SMTPClient(relay: SMTPRelay(host: "127.0.0.1", port: channel.settings.relay!.port), hostname: "kefu.test"),
                replies: channel.replies, hub: EventHub(), wakeups: AsyncStream { $0.finish() }, logger: Logger(label: "test"),
                now: { clock.now })
            await restarted.sendDue()
            #expect(await relay.received.count == 1)
            #expect(try await store.outbox(status: .sent, limit: 10).first?.attempts == 2)
        }
    }

    /// Agents' replies reach a channel through the registry, as the conversations service hands them over.
    static func registry(_ store: SQLStore, _ channel: EmailChannel) -> ChannelRegistry {
        ChannelRegistry(store: store, channels: [channel, WebchatChannel(mail: channel.replies)])
    }

    @Test func retriesBackOff() {
        #expect(OutboxSender.delay(afterAttempt: 1) == 60)
        #expect(OutboxSender.delay(afterAttempt: 3) == 900)
        #expect(OutboxSender.delay(afterAttempt: 50) == 14400)
    }
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}
