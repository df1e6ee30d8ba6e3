import Foundation
import KefuApp
import KefuCore
import KefuRealtime
import KefuRisk
import KefuStore
import KefuTestSupport
import Logging
import Synchronization
import Testing

/// Two instances' event buses on one PostgreSQL (real LISTEN/NOTIFY, real store reads).
@Suite(.enabled(if: TestBackend.postgresURL != nil, "needs KEFU_TEST_POSTGRES_URL"))
struct ClusterBusTests {
    struct Instances: Sendable {
        let a: any EventBus
        let b: any EventBus
        let store: SQLStore
        let conversation: Conversation
    }

    /// Two instances on a fresh database, both listening, and one conversation to talk in.
    static func withTwoInstances(
        poll: Duration = .milliseconds(300), _ body: @Sendable (Instances) async throws -> Void
    ) async throws {
        let logger = Logger(label: "kefu.test.cluster")
        let location = try await TestDatabases.createMigrated(.postgres)
        guard case .postgres(let url) = location else { return }
        try await withDatabase(location, logger: logger, poolSize: 4, firstConnection: TestDatabases.firstConnection) { database in
            try await Migrator().migrate(database, logger: logger)
            let store = SQLStore(database: database)
            let a = try InstanceParts.make(for: .postgres(url: url), instance: "a", store: store, logger: logger, busPollInterval: poll)
            let b = try InstanceParts.make(for: .postgres(url: url), instance: "b", store: store, logger: logger, busPollInterval: poll)
            let inbox = try await store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let contact = try await store.createContact(name: "Li Wei", email: "li@kefu.test", locale: "zh-CN")
            let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: "提现")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in a.services + b.services { group.addTask { try await service.run() } }
                defer { group.cancelAll() }
                try await waitForListeners(2, on: database)
                try await body(Instances(a: a.bus, b: b.bus, store: store, conversation: conversation))
            }
        }
    }

    static func waitForListeners(_ count: Int, on database: any Database) async throws {
        for _ in 0..<200 {
            let listening = try await database.read { sql in
                try await sql.raw(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            if listening >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the instances never listened")
    }

    /// Stores a message and publishes it on `bus`, as the conversations service does.
    static func send(_ text: String, on bus: any EventBus, _ instances: Instances, publish: Bool = true) async throws -> Message {
        let stored = try await instances.store.appendMessage(
            conversationId: instances.conversation.id, NewMessage(direction: .incoming, author: .contact(instances.conversation.contactId), text: text))
        if publish { bus.publish(.message(stored.message, contactId: stored.contactId, inboxId: stored.inboxId)) }
        return stored.message
    }

    @Test func aMessageStoredOnOneInstanceReachesTheOtherOnceAndWhole() async throws {
        try await Self.withTwoInstances { instances in
            let b = Heard(instances.b.subscribe([.conversation(instances.conversation.id)]))
            let a = Heard(instances.a.subscribe([.allConversations]))
            let sent = try await Self.send("我的提现还在审核中", on: instances.a, instances)
            let heard = try await b.next(within: .seconds(30))
            #expect(heard?.kind == .message(sent))
            #expect(heard?.contactId == instances.conversation.contactId && heard?.inboxId == instances.conversation.inboxId)
            #expect(try await a.next(within: .seconds(30))?.seq == sent.seq)
            // Several polls later, neither side has heard it again: the next event each gets is the next message.
            try await Task.sleep(for: .seconds(1))
            let next = try await Self.send("还有一个问题", on: instances.b, instances)
            #expect(try await b.next(within: .seconds(30))?.seq == next.seq)
            #expect(try await a.next(within: .seconds(30))?.seq == next.seq)
        }
    }

    @Test func manyMessagesArriveInOrder() async throws {
        try await Self.withTwoInstances { instances in
            let b = Heard(instances.b.subscribe([.conversation(instances.conversation.id)]))
            var sent: [Int64] = []
            for index in 0..<60 { sent.append(try await Self.send("m\(index)", on: instances.a, instances).seq) }
            var heard: [Int64] = []
            while heard.count < sent.count, let event = try await b.next(within: .seconds(30)) { heard.append(event.seq ?? -1) }
            #expect(heard == sent)
        }
    }

    @Test func typingAndReadReachTheOtherInstance() async throws {
        try await Self.withTwoInstances { instances in
            let b = Heard(instances.b.subscribe([.contact(instances.conversation.contactId)]))
            let conversation = instances.conversation
            let agent = AgentID.generate()
            instances.a.publish(
                ConversationEvent(
                    conversationId: conversation.id, contactId: conversation.contactId, inboxId: conversation.inboxId,
                    kind: .typing(.agent(agent), isTyping: true)))
            instances.a.publish(
                ConversationEvent(
                    conversationId: conversation.id, contactId: conversation.contactId, inboxId: conversation.inboxId, kind: .read(.agent, seq: 7)))
            let typing = try await b.next(within: .seconds(30))
            let read = try await b.next(within: .seconds(30))
            #expect(typing?.kind == .typing(.agent(agent), isTyping: true))
            #expect(read?.kind == .read(.agent, seq: 7))
        }
    }

    /// An admin saves the risk policy on one instance: the other's next decision uses it, not
    /// its cached copy (which would otherwise stay up to an hour here).
    @Test func aSavedRiskPolicyReachesTheOtherInstanceAtOnce() async throws {
        try await Self.withTwoInstances { instances in
            let onA = RiskPolicySource(store: instances.store, freshness: 3600, announce: { instances.a.settingChanged($0) })
            let onB = RiskPolicySource(store: instances.store, freshness: 3600, announce: { instances.b.settingChanged($0) })
            instances.b.whenSettingChanges { key in if key == RiskPolicySource.key { await onB.forget() } }
            #expect(try await onB.current() == .standard)
            var stricter = RiskPolicy.standard
            stricter.assets = ["USDT"]
            try await onA.save(stricter, audit: AuditEvent(actor: .system, action: "risk.policy_saved", subjectKind: "settings"))
            var seen = try await onB.current()
            for _ in 0..<200 where seen != stricter {
                try await Task.sleep(for: .milliseconds(50))
                seen = try await onB.current()
            }
            #expect(seen == stricter)
        }
    }

    /// An instance that died between its commit and its NOTIFY: the others find the message by polling.
    @Test func aMessageNobodyAnnouncedIsFoundByThePoll() async throws {
        try await Self.withTwoInstances { instances in
            let b = Heard(instances.b.subscribe([.conversation(instances.conversation.id)]))
            let silent = try await Self.send("没有通知的消息", on: instances.a, instances, publish: false)
            #expect(try await b.next(within: .seconds(30))?.kind == .message(silent))
        }
    }

    /// The listening connection is killed (a server restart, a proxy timeout): the instance listens
    /// again and catches up at once, without waiting for its poll.
    @Test func aKilledListenerListensAgainAndCatchesUp() async throws {
        try await Self.withTwoInstances(poll: .seconds(600)) { instances in
            let b = Heard(instances.b.subscribe([.conversation(instances.conversation.id)]))
            try await instances.store.database.read { sql in
                try await sql.raw(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                    """
                ).run()
            }
            let during = try await Self.send("断线时发的", on: instances.a, instances)
            #expect(try await b.next(within: .seconds(20))?.seq == during.seq)
            try await Self.waitForListeners(2, on: instances.store.database)
            let after = try await Self.send("重连之后", on: instances.a, instances)
            #expect(try await b.next(within: .seconds(30))?.seq == after.seq)
        }
    }
}

/// What a subscription heard, collected as it arrives.
final class Heard: Sendable {
    private final class Events: Sendable { let list = Mutex<[ConversationEvent]>([]) }
    private let events = Events()
    private let reader: Task<Void, Never>

    init(_ stream: AsyncThrowingStream<ConversationEvent, any Error>) {
        let events = self.events
        reader = Task {
            do { for try await event in stream { events.list.withLock { $0.append(event) } } } catch {}
        }
    }

    deinit { reader.cancel() }

    /// The next event, or nil when none came within `limit` (a liveness bound, not a timing claim).
    func next(within limit: Duration) async throws -> ConversationEvent? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let event = events.list.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return event }
            try await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }
}
