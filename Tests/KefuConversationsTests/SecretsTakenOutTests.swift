import Foundation
import KefuConversations
import KefuCore
import KefuRealtime
import KefuStore
import KefuTestSupport
import Testing

/// A customer pastes a recovery phrase or a key: the store holds only the marker, agents see the
/// warning in the history, the audit line names the kind (never the secret), and the customer is
/// told at once in their language through their channel. On both databases.
@Suite struct SecretsTakenOutTests {
    typealias Desk = ConversationServiceTests.Desk
    static let phrase = "legal winner thank year wave sausage worth useful legal winner thank yellow"
    static let wif = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"

    @Test(arguments: TestBackend.available)
    func aPhraseInAChatIsNeverStoredAndEveryoneIsTold(_ backend: TestBackend) async throws {
        try await ConversationServiceTests.withDesk(backend) { desk in
            let started = try await desk.service.start(
                ConversationStart(
                    inboxId: desk.inbox.id, contactId: desk.contact.id, subject: String("我的助记词是 \(Self.phrase)".prefix(40)), labels: [],
                    firstMessage: NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "我的助记词是 \(Self.phrase) 请帮我")),
                autoAssign: false)
            let id = started.conversation.id
            _ = try await desk.service.send(
                NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "还有私钥 \(Self.wif)", clientMessageId: "c-2"), to: id)
            let history = try await desk.store.messages(conversationId: id, since: 0, limit: 50)
            let everything = history.map(\.text).joined(separator: "\n")
            // Nothing of either secret is stored, anywhere in the history.
            #expect(!everything.contains("sausage") && !everything.contains(Self.wif))
            #expect(history.first?.text == "我的助记词是 [redacted: recovery phrase] 请帮我")
            #expect(history.contains { $0.text == "还有私钥 [redacted: private key]" })
            // Agents see the warning; the customer is answered in Chinese, through the channel, once per message.
            let events = history.compactMap(\.systemEvent)
            #expect(events.contains(.secretRedacted(kinds: [.recoveryPhrase])) && events.contains(.secretRedacted(kinds: [.privateKey])))
            let warnings = history.filter { $0.direction == .outgoing && $0.author == .system }
            #expect(warnings.count == 2)
            #expect(warnings.allSatisfy { $0.text.contains("客服绝不需要") })
            #expect(desk.delivery.delivered.withLock { Set($0) } == Set(warnings.map(\.id)))
            // Audited by kind, without the secret.
            let audit = try await desk.store.auditEntries(before: nil, limit: 20).filter { $0.action == "message.secret_redacted" }
            #expect(audit.count == 2)
            #expect(!audit.map { "\($0.detail)" }.joined().contains("sausage"))
            // The conversation carries the flag (the first time kept) for the inbox badge and banner.
            let flagged = try #require(try await desk.store.conversation(id: id)?.secretExposedAt)
            #expect(flagged == history.first?.createdAt)
            // A resend of the same message (same client id) changes nothing and warns nobody again.
            _ = try await desk.service.send(
                NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "还有私钥 \(Self.wif)", clientMessageId: "c-2"), to: id)
            #expect(try await desk.store.messages(conversationId: id, since: 0, limit: 50).count == history.count)
            // The conversation's subject, cut from the first message, holds no piece of the phrase.
            let subject = try await desk.store.conversation(id: id)?.subject ?? ""
            #expect(!subject.contains("sausage") && !subject.contains("legal"))
        }
    }

    @Test(arguments: TestBackend.available)
    func mailAndChannelMessagesLoseTheirSecretsInEveryField(_ backend: TestBackend) async throws {
        try await ConversationServiceTests.withDesk(backend) { desk in
            let mailInbox = try await desk.store.createInbox(name: "Mail", kind: .email, audit: nil)
            let mail = InboundMail(
                messageId: "m1@example.com", fromAddress: "li@example.com", subject: "Key \(Self.wif)", text: "Phrase:\n\(Self.phrase)\nthanks",
                files: [InboundMail.File(sha256: "ab", size: 1, contentType: "image/png", filename: "\(Self.wif).png")],
                automatic: "auto_reply", rawSha256: "ab", size: 10, locale: "en")
            let outcome = try await desk.service.receiveMail(mail, inboxId: mailInbox.id, reopenWindow: 0)
            let conversation = try #require(outcome.conversation)
            let stored = try await desk.store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(stored.first?.text == "Phrase:\n[redacted: recovery phrase]\nthanks")
            #expect(!(try await desk.store.conversation(id: conversation.id)?.subject ?? "").contains(Self.wif))
            // An auto-reply is not answered, not even with the warning; agents are still told.
            #expect(!stored.contains { $0.direction == .outgoing })
            #expect(stored.compactMap(\.systemEvent).contains(.secretRedacted(kinds: [.privateKey, .recoveryPhrase])))

            let telegram = try await desk.store.createInbox(name: "Bot", kind: .telegram, audit: nil)
            var inbound = InboundMessage(
                sender: .init(identity: "tg:1", name: "Li", locale: "en"), threadKey: "tg:1", receiptKey: "u1", text: Self.phrase + "\nplease help")
            // The channel cut its subject from the first line: eleven words and a half, no longer a phrase by itself.
            inbound.subject = String(Self.phrase.prefix(70))
            let received = try await desk.service.receive(inbound, inboxId: telegram.id, reopenWindow: 0)
            let chat = try #require(received.conversation)
            let lines = try await desk.store.messages(conversationId: chat.id, since: 0, limit: 10)
            // The run of list words takes "please help" with it: better a few words too many.
            #expect(lines.first?.text == "[redacted: recovery phrase]")
            #expect(try await desk.store.conversation(id: chat.id)?.subject == "[redacted: recovery phrase]")
            #expect(lines.contains { $0.direction == .outgoing && $0.text.contains("support never needs it") })
        }
    }
}
