import Foundation
import KefuConversations
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

/// Agents' codes on both databases: a reply carries its agent's code for the conversation and
/// the day; the code is genuine only for that conversation's customer, while current, and while
/// the agent is active; every other answer is the same "no".
@Suite struct AgentVerificationTests {
    typealias Desk = ConversationServiceTests.Desk

    @Test(arguments: TestBackend.available)
    func aReplysCodeIsGenuineOnlyForItsOwnCustomer(_ backend: TestBackend) async throws {
        try await ConversationServiceTests.withDesk(backend) { desk in
            let agent = try await ConversationServiceTests.agent(desk.store, "ann@kefu.test")
            let mine = try await desk.store.createConversation(inboxId: desk.inbox.id, contactId: desk.contact.id, subject: nil)
            let scammer = try await desk.store.createContact(name: "Scammer", email: "scam@example.com", locale: "en")
            let theirs = try await desk.store.createConversation(inboxId: desk.inbox.id, contactId: scammer.id, subject: nil)
            func reply(_ text: String, in conversation: Conversation) async throws -> Message {
                try await desk.service.send(NewMessage(direction: .outgoing, author: .agent(agent.id), text: text), to: conversation.id).message
            }
            let first = try await reply("您好", in: mine)
            let second = try await reply("请稍等", in: mine)
            let other = try await reply("Hello", in: theirs)
            let code = try #require(first.agentCode)
            // One code per agent, conversation and day; another conversation has its own.
            #expect(second.agentCode == code)
            #expect(other.agentCode != nil && other.agentCode != code)
            #expect(try await desk.store.messages(conversationId: mine.id, since: 0, limit: 5).first?.agentCode == code)
            // Notes, customers' and system messages carry none.
            let note = try await desk.service.send(NewMessage(direction: .note, author: .agent(agent.id), text: "n"), to: mine.id).message
            #expect(note.agentCode == nil)

            let verification = AgentVerification(store: desk.store)
            #expect(try await verification.check(code: AgentCode.display(code).lowercased(), contact: desk.contact.id) == .genuine(agentName: agent.name, conversationNumber: mine.number))
            // The scammer's own code, shown to our customer, is "no"; so is ours for the scammer.
            #expect(try await verification.check(code: other.agentCode!, contact: desk.contact.id) == .notGenuine)
            #expect(try await verification.check(code: code, contact: scammer.id) == .notGenuine)
            #expect(try await verification.check(code: "ZZZZ-ZZZZ", contact: desk.contact.id) == .notGenuine)
            // By email on the public page: only where a reply with the code was mailed (the From of
            // the scammer's mail may name the victim; the reply went to the scammer's Reply-To).
            #expect(try await verification.check(code: other.agentCode!, email: "scam@example.com") == .notGenuine)
            _ = try await desk.store.enqueueMail(
                NewOutboxMail(
                    kind: .reply, dedupKey: "reply:\(other.id)", conversationId: theirs.id, messageRef: other.id, mailFrom: "support@kefu.test",
                    recipients: ["Replies.Here@example.net"], messageId: "m1@kefu.test", subject: "Re", rawSha256: String(repeating: "0", count: 64),
                    local: true))
            #expect(try await verification.check(code: other.agentCode!, email: " replies.here@EXAMPLE.net ") == .genuine(agentName: agent.name, conversationNumber: theirs.number))
            #expect(try await verification.check(code: other.agentCode!, email: "scam@example.com") == .notGenuine)
            #expect(try await verification.check(code: code, email: "replies.here@example.net") == .notGenuine)
            await #expect(throws: ConversationError.invalid(ValidationFailure("code", .invalid))) { try await verification.check(code: "O0O0-1I1L", contact: desk.contact.id) }
            await #expect(throws: ConversationError.invalid(ValidationFailure("email", .invalid))) { try await verification.check(code: code, email: "nobody") }

            // A mail conversation is the contact's by a From anyone can write: once the real owner
            // of the address is that contact (confirmed in the widget), a code mailed elsewhere
            // (to the Reply-To of whoever wrote it) is still not theirs.
            let mailInbox = try await desk.store.createInbox(name: "Mail", kind: .email, audit: nil)
            let victim = try await desk.store.createContact(name: "Sarah", email: "sarah@example.com", locale: "en")
            let spoofed = try await desk.store.createConversation(inboxId: mailInbox.id, contactId: victim.id, subject: nil)
            let toScammer = try await reply("Hello Sarah", in: spoofed)
            _ = try await desk.store.enqueueMail(
                NewOutboxMail(
                    kind: .reply, dedupKey: "reply:\(toScammer.id)", conversationId: spoofed.id, messageRef: toScammer.id, mailFrom: "support@kefu.test",
                    recipients: ["scammer@evil.test"], messageId: "m2@kefu.test", subject: "Re", rawSha256: String(repeating: "0", count: 64), local: true))
            #expect(try await verification.check(code: toScammer.agentCode!, contact: victim.id) == .notGenuine)
            let toSarah = try await reply("Hello again", in: try await desk.store.createConversation(inboxId: mailInbox.id, contactId: victim.id, subject: nil))
            _ = try await desk.store.enqueueMail(
                NewOutboxMail(
                    kind: .reply, dedupKey: "reply:\(toSarah.id)", conversationId: toSarah.conversationId, messageRef: toSarah.id,
                    mailFrom: "support@kefu.test", recipients: ["sarah@example.com"], messageId: "m3@kefu.test", subject: "Re",
                    rawSha256: String(repeating: "0", count: 64), local: true))
            #expect(try await verification.check(code: toSarah.agentCode!, contact: victim.id) != .notGenuine)
            // Eight days on, the code no longer checks; nor once the agent is disabled.
            let later = AgentVerification(store: desk.store, now: { Date().addingTimeInterval(9 * 86_400) })
            #expect(try await later.check(code: code, contact: desk.contact.id) == .notGenuine)
            _ = try await desk.store.updateAgent(id: agent.id, status: .disabled, role: nil, chatCapacity: nil, audit: nil)
            #expect(try await verification.check(code: code, contact: desk.contact.id) == .notGenuine)
        }
    }
}
