import Foundation
import KefuConversations
import KefuCore
import KefuRealtime
import KefuStore
import KefuTestSupport
import Synchronization
import Testing

/// The conversations service on its own: no router, a real store, the in-process bus.
@Suite struct ConversationServiceTests {
    /// Records what a channel was asked to deliver.
    final class RecordingDelivery: ReplyDelivery {
        let delivered = Mutex<[MessageID]>([])
        func deliver(_ reply: AppendResult) async throws { delivered.withLock { $0.append(reply.message.id) } }
    }

    struct Desk {
        let store: SQLStore
        let bus: EventHub
        let presence: PresenceRegistry
        let service: ConversationService
        let delivery: RecordingDelivery
        let inbox: Inbox
        let contact: Contact
    }

    static func withDesk<T: Sendable>(_ backend: TestBackend, _ body: @Sendable (Desk) async throws -> T) async throws -> T {
        try await withTestStore(backend) { store in
            let bus = EventHub()
            let presence = PresenceRegistry()
            let delivery = RecordingDelivery()
            let service = ConversationService(store: store, bus: bus, presence: presence).delivering(through: delivery)
            let inbox = try await store.createInbox(name: "Website", kind: .webchat, audit: nil)
            let contact = try await store.createContact(name: "Li Wei", email: nil, locale: "zh-CN")
            return try await body(
                Desk(store: store, bus: bus, presence: presence, service: service, delivery: delivery, inbox: inbox, contact: contact))
        }
    }

    static func agent(_ store: SQLStore, _ email: String, capacity: Int = 5) async throws -> Agent {
        let agent = try await store.createAgent(email: email, name: email, role: .agent, passwordHash: "x", mustChangePassword: false, audit: nil)
        return try await store.updateAgent(id: agent.id, status: nil, role: nil, chatCapacity: capacity, audit: nil)
    }

    /// Collects what the bus publishes from now on, until `count` events arrived.
    static func collect(_ bus: EventHub, _ count: Int) -> Task<[ConversationEvent], any Error> {
        let stream = bus.subscribe([.allConversations])
        return Task {
            var events: [ConversationEvent] = []
            for try await event in stream {
                events.append(event)
                if events.count == count { break }
            }
            return events
        }
    }

    @Test(arguments: TestBackend.available)
    func aStartStoresLabelsFirstMessageAndAssignmentTogetherAndPublishesThem(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let agent = try await Self.agent(desk.store, "mei@kefu.test")
            desk.presence.connected(agent.id)
            let events = Self.collect(desk.bus, 2)
            let started = try await desk.service.start(
                ConversationStart(
                    inboxId: desk.inbox.id, contactId: desk.contact.id, subject: "提现", labels: ["withdrawal-limit"],
                    firstMessage: NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "我的提现被冻结了", clientMessageId: "c1")),
                autoAssign: true)
            #expect(started.conversation.assigneeId == agent.id)
            #expect(started.conversation.labels == ["withdrawal-limit"])
            #expect(started.first.message.seq == 1)
            #expect(started.assignment?.systemEvent == .changed(status: nil, assignee: .some(agent.id)))
            let stored = try await desk.store.messages(conversationId: started.conversation.id, since: 0, limit: 10)
            #expect(stored.map(\.seq) == [1, 2])
            #expect(try await events.value.compactMap(\.seq) == [1, 2])
            let audit = try await desk.store.auditEntries(before: nil, limit: 5)
            #expect(audit.contains { $0.action == "conversation.auto_assigned" && $0.subjectId == started.conversation.id.rawValue })
            // Customers' messages are not delivered to a channel: only agents' replies are.
            #expect(desk.delivery.delivered.withLock { $0 }.isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)
    func nobodyOnlineOrEveryoneFullLeavesTheChatUnassigned(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let start = ConversationStart(
                inboxId: desk.inbox.id, contactId: desk.contact.id, subject: nil,
                firstMessage: NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "hello"))
            #expect(try await desk.service.start(start, autoAssign: true).conversation.assigneeId == nil)
            let full = try await Self.agent(desk.store, "full@kefu.test", capacity: 1)
            desk.presence.connected(full.id)
            #expect(try await desk.service.start(start, autoAssign: true).conversation.assigneeId == full.id)
            let second = try await desk.service.start(start, autoAssign: true)
            #expect(second.conversation.assigneeId == nil)
            #expect(second.assignment == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func repliesAreDeliveredOnceAndResendsAreTheSameMessage(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let agent = try await Self.agent(desk.store, "mei@kefu.test")
            let conversation = try await desk.store.createConversation(inboxId: desk.inbox.id, contactId: desk.contact.id, subject: nil)
            let reply = NewMessage(direction: .outgoing, author: .agent(agent.id), text: "您好", clientMessageId: "r1")
            let first = try await desk.service.send(reply, to: conversation.id)
            let again = try await desk.service.send(reply, to: conversation.id)
            #expect(first.created && !again.created)
            #expect(again.message.id == first.message.id)
            #expect(desk.delivery.delivered.withLock { $0 } == [first.message.id])
        }
    }

    @Test(arguments: TestBackend.available)
    func badInputIsADomainErrorNamingTheField(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let conversation = try await desk.store.createConversation(inboxId: desk.inbox.id, contactId: desk.contact.id, subject: nil)
            await #expect(throws: ConversationError.self) {
                try await desk.service.send(NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "  "), to: conversation.id)
            }
            await #expect(throws: ConversationError.notFound("conversation")) {
                try await desk.service.send(NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "hi"), to: .generate())
            }
            await #expect(throws: ConversationError.notFound("attachment")) {
                try await desk.service.send(
                    NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "hi", attachmentIds: [.generate()]), to: conversation.id)
            }
            await #expect(throws: ConversationError.notFound("agent")) {
                try await desk.service.change(ConversationChange(assigneeId: .some(.generate())), of: conversation.id, by: .system)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aChangeIsAuditedNarratedAndPublishedWhileReadsAndTypingArePublishedOnly(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let agent = try await Self.agent(desk.store, "mei@kefu.test")
            let conversation = try await desk.store.createConversation(inboxId: desk.inbox.id, contactId: desk.contact.id, subject: nil)
            _ = try await desk.store.appendMessage(
                conversationId: conversation.id, NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "hi"))
            let events = Self.collect(desk.bus, 3)
            let changed = try await desk.service.change(
                ConversationChange(status: .resolved, assigneeId: .some(agent.id)), of: conversation.id, by: .agent(agent.id, from: "192.0.2.7"))
            #expect(changed.status == .resolved && changed.assigneeId == agent.id)
            try await desk.service.markRead(changed, by: .agent, upTo: 2)
            try await desk.service.markRead(changed, by: .agent, upTo: 2)  // did not move: not published again
            await desk.service.typing(in: changed, by: .agent(agent.id), isTyping: true)
            let seen = try await events.value
            #expect(seen.first.flatMap { if case .message(let message) = $0.kind { message.systemEvent } else { nil } }
                == .changed(status: .resolved, assignee: .some(agent.id)))
            #expect(seen.dropFirst().map(\.kind) == [.read(.agent, seq: 2), .typing(.agent(agent.id), isTyping: true)])
            let audit = try #require(try await desk.store.auditEntries(before: nil, limit: 1).first)
            #expect(audit.action == "conversation.updated" && audit.clientAddress == "192.0.2.7")
            #expect(audit.detail["status"] == "resolved")
        }
    }

    @Test(arguments: TestBackend.available)
    func aSystemEventIsRecordedOncePerKey(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let conversation = try await desk.store.createConversation(inboxId: desk.inbox.id, contactId: desk.contact.id, subject: nil)
            let event = SystemEvent.mailFailed(outboxId: "m1", reason: "550 no such user")
            #expect(try await desk.service.record(event, in: conversation.id, clientMessageId: "mail-failed:m1").created)
            #expect(try await !desk.service.record(event, in: conversation.id, clientMessageId: "mail-failed:m1").created)
            let stored = try await desk.store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(stored.map(\.systemEvent) == [event])
        }
    }
}

@Suite struct ConversationValidationOrderTests {
    /// As before the service existed: too many attachments is named first, whatever else is wrong.
    @Test func tooManyAttachmentsIsNamedBeforeTheText() throws {
        let message = NewMessage(
            direction: .incoming, author: .system, text: "", attachmentIds: (0..<11).map { _ in AttachmentID.generate() })
        #expect(throws: ConversationError.invalid(ValidationFailure("attachmentIds", .tooLong(max: 10)))) {
            try ConversationService.validate(message)
        }
        #expect(throws: ConversationError.invalid(ValidationFailure("text", .required))) {
            try ConversationService.validate(NewMessage(direction: .incoming, author: .system, text: " "))
        }
    }
}
