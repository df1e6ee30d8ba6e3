import Foundation
import KefuConversations
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore
import KefuTestSupport
import Testing

/// Response targets through the real store and the conversations service, on both databases.
@Suite struct ResponseTargetTests {
    struct Desk {
        let store: SQLStore
        let clock: TestClock
        let presence: PresenceRegistry
        let service: ConversationService
        let levels: ServiceLevels
        let inbox: Inbox
        let contact: Contact
        let agent: Agent
        let supervisor: Agent
    }

    static let admin = ActionSource.system

    static func withDesk<T: Sendable>(_ backend: TestBackend, kind: InboxKind = .webchat, _ body: @Sendable (Desk) async throws -> T) async throws -> T {
        // Monday 2026-11-30 02:00 UTC (10:00 in Shanghai).
        let clock = TestClock(Date(timeIntervalSince1970: 1_796_004_000))
        return try await withTestStore(backend, now: { clock.now }) { store in
            let presence = PresenceRegistry()
            let service = ConversationService(store: store, bus: EventHub(), presence: presence)
            let inbox = try await store.createInbox(name: "Website", kind: kind, audit: nil)
            let contact = try await store.createContact(name: "Li Wei", email: "li@kefu.test", locale: "zh-CN")
            let agent = try await store.createAgent(email: "mei@kefu.test", name: "Mei", role: .agent, passwordHash: "x", mustChangePassword: false, audit: nil)
            let supervisor = try await store.createAgent(
                email: "sun@kefu.test", name: "Sun", role: .supervisor, passwordHash: "x", mustChangePassword: false, audit: nil)
            return try await body(
                Desk(
                    store: store, clock: clock, presence: presence, service: service, levels: ServiceLevels(store: store, now: { clock.now }),
                    inbox: inbox, contact: contact, agent: agent, supervisor: supervisor))
        }
    }

    static func start(_ desk: Desk, labels: [String] = []) async throws -> Conversation {
        try await desk.service.start(
            ConversationStart(
                inboxId: desk.inbox.id, contactId: desk.contact.id, subject: nil, labels: labels,
                firstMessage: NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "我的提现被冻结了")),
            autoAssign: false
        ).conversation
    }

    static func say(_ desk: Desk, _ id: ConversationID, customer: Bool) async throws {
        let author: Author = customer ? .contact(desk.contact.id) : .agent(desk.agent.id)
        _ = try await desk.service.send(NewMessage(direction: customer ? .incoming : .outgoing, author: author, text: "…"), to: id)
    }

    static func kinds(_ desk: Desk, _ id: ConversationID) async throws -> [String] {
        try await desk.store.slaEvents(conversationId: id).map { "\($0.event.metric.rawValue):\($0.event.kind.rawValue)" }
    }

    @Test(arguments: TestBackend.available)
    func theDefaultChatTargetRunsThroughAConversation(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let started = try await Self.start(desk)
            let t0 = desk.clock.now
            let first = try await desk.store.slaTimers(conversationId: started.id)
            #expect(first.map(\.metric) == [.firstResponse])
            #expect(first.first?.dueAt == t0.addingTimeInterval(300))
            #expect(try await desk.store.conversation(id: started.id).map { _ in true } == true)
            desk.clock.advance(by: 90)
            try await Self.say(desk, started.id, customer: false)
            desk.clock.advance(by: 10)
            try await Self.say(desk, started.id, customer: true)
            let next = try await desk.store.slaTimers(conversationId: started.id).first { $0.metric == .nextResponse }
            #expect(next?.dueAt == t0.addingTimeInterval(400))
            // Waiting on the customer stops the clock; reopening counts on from where it was.
            desk.clock.advance(by: 100)
            _ = try await desk.service.change(ConversationChange(status: .pending), of: started.id, by: .agent(desk.agent.id))
            desk.clock.advance(by: 1000)
            _ = try await desk.service.change(ConversationChange(status: .open), of: started.id, by: .agent(desk.agent.id))
            let resumed = try await desk.store.slaTimers(conversationId: started.id).first { $0.metric == .nextResponse }
            #expect(resumed?.dueAt == t0.addingTimeInterval(100 + 100 + 1000 + 200))
            desk.clock.advance(by: 30)
            try await Self.say(desk, started.id, customer: false)
            #expect(
                try await Self.kinds(desk, started.id) == [
                    "first_response:applied", "first_response:met", "next_response:applied", "next_response:paused", "next_response:resumed",
                    "next_response:met",
                ])
            let met = try await desk.store.slaEvents(conversationId: started.id).last?.event
            #expect(met?.elapsedSeconds == 130)
        }
    }

    @Test(arguments: TestBackend.available)
    func warningsAndBreachesFireOnceNotifyAndAct(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            var policy = try await desk.levels.policies().first { $0.match.channel == .webchat }!
            _ = try await desk.levels.savePolicy(
                SLAPolicyInput(
                    name: policy.name, match: policy.match, firstResponseSeconds: 300, warnBeforeSeconds: 60,
                    onBreach: SLABreachActions(raisePriority: .urgent, reassign: true)), id: policy.id, by: Self.admin)
            policy = try await desk.levels.policy(policy.id)
            let started = try await Self.start(desk)
            desk.presence.connected(desk.agent.id)
            desk.clock.advance(by: 239)
            #expect(try await desk.service.fireDueResponseTargets(owner: "a", now: desk.clock.now).isEmpty)
            desk.clock.advance(by: 1)
            let warned = try await desk.service.fireDueResponseTargets(owner: "a", now: desk.clock.now)
            #expect(warned.flatMap(\.events).map(\.kind) == [.warned])
            #expect(try await desk.service.fireDueResponseTargets(owner: "a", now: desk.clock.now).isEmpty)
            desk.clock.advance(by: 61)
            let breached = try await desk.service.fireDueResponseTargets(owner: "b", now: desk.clock.now)
            #expect(breached.flatMap(\.events).map(\.kind) == [.breached])
            let after = try await desk.store.conversation(id: started.id)
            #expect(after?.priority == .urgent)
            #expect(after?.assigneeId == desk.agent.id)
            #expect(breached.first?.history.first?.systemEvent == .slaBreached(metric: .firstResponse, raisedTo: .urgent))
            desk.clock.advance(by: 3600)
            #expect(try await desk.service.fireDueResponseTargets(owner: "a", now: desk.clock.now).isEmpty)
            // The supervisor hears of both (and gets mail); the assignee of the breach.
            let supervisorNotes = try await desk.store.agentNotifications(agentId: desk.supervisor.id, limit: 10)
            #expect(supervisorNotes.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.slaBreach, .slaWarning])
            #expect(try await desk.store.notificationsToMail(limit: 10).count == 2)
            #expect(try await desk.store.agentNotifications(agentId: desk.agent.id, limit: 10).map(\.kind) == [.slaBreach])
            #expect(try await desk.store.unreadNotificationCount(agentId: desk.supervisor.id) == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func parallelFirersAndADeadLeaseFireEachTimerOnce(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            var ids: [ConversationID] = []
            for _ in 0..<8 { ids.append(try await Self.start(desk).id) }
            desk.clock.advance(by: 400)
            // An instance that leased everything and died: nobody fires until its lease runs out.
            let dead = try await desk.store.claimDueSLATimers(now: desk.clock.now, owner: "dead", lease: 30, limit: 100)
            #expect(Set(dead) == Set(ids))
            #expect(try await desk.service.fireDueResponseTargets(owner: "x", now: desk.clock.now).isEmpty)
            desk.clock.advance(by: 31)
            let now = desk.clock.now
            let fired = try await withThrowingTaskGroup(of: [SLAFiring].self) { group in
                for owner in ["x", "y", "z", "w"] {
                    group.addTask { try await desk.service.fireDueResponseTargets(owner: owner, now: now, limit: 3) }
                }
                var all: [SLAFiring] = []
                for try await batch in group { all += batch }
                return all
            }
            var total = fired.count
            while true {
                let more = try await desk.service.fireDueResponseTargets(owner: "x", now: now)
                if more.isEmpty { break }
                total += more.count
            }
            #expect(total == 8)
            for id in ids {
                let events = try await Self.kinds(desk, id)
                // Past the warning already: straight to one breach.
                #expect(events.filter { $0 == "first_response:breached" }.count == 1)
                #expect(try await desk.store.conversation(id: id).map { _ in true } == true)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func businessHoursAndHolidaysSetTheDueTime(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let office = try await desk.levels.saveCalendar(
                BusinessCalendarInput(
                    name: "Shanghai office", timeZone: "Asia/Shanghai",
                    periods: (1...5).map { BusinessPeriod(weekday: $0, start: 540, end: 1080) },
                    holidays: [ImportedHoliday(date: CalendarDate("2026-12-01")!, name: "测试假日")]), id: nil, by: Self.admin)
            _ = try await desk.levels.savePolicy(
                SLAPolicyInput(name: "VIP", match: SLAMatch(label: "vip"), firstResponseSeconds: 3600, calendarId: office.id), id: nil, by: Self.admin)
            // Monday 17:30 local: half an hour today, Tuesday is a holiday, the rest on Wednesday 09:30.
            desk.clock.advance(by: 7.5 * 3600)
            let started = try await Self.start(desk, labels: ["vip"])
            let timer = try await desk.store.slaTimers(conversationId: started.id).first
            #expect(timer?.target == 3600)
            #expect(timer?.dueAt == Date(timeIntervalSince1970: 1_796_004_000 + 47.5 * 3600))
            // In use, the calendar cannot go; a bad zone is refused with its field named.
            await #expect(throws: QualityError.conflict("calendar")) { try await desk.levels.deleteCalendar(office.id, by: Self.admin) }
            await #expect(throws: QualityError.invalid(ValidationFailure("timeZone", .rule("unknown_time_zone")))) {
                _ = try await desk.levels.saveCalendar(BusinessCalendarInput(name: "x", timeZone: "Mars/Olympus", periods: nil), id: nil, by: Self.admin)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func editedSwitchedOffAndOlderConversationsFollowTheRules(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let chat = try await desk.levels.policies().first { $0.match.channel == .webchat }!
            let started = try await Self.start(desk)
            // An edit reaches the running target at the conversation's next change.
            _ = try await desk.levels.savePolicy(
                SLAPolicyInput(name: chat.name, match: chat.match, firstResponseSeconds: 60), id: chat.id, by: Self.admin)
            try await Self.say(desk, started.id, customer: true)
            #expect(try await desk.store.slaTimers(conversationId: started.id).first?.target == 60)
            // Switched off: nothing covers the conversation any more.
            _ = try await desk.levels.savePolicy(
                SLAPolicyInput(name: chat.name, match: chat.match, firstResponseSeconds: 60, enabled: false), id: chat.id, by: Self.admin)
            try await Self.say(desk, started.id, customer: true)
            #expect(try await desk.store.slaTimers(conversationId: started.id).allSatisfy { !$0.isActive })
            // A conversation from before response targets (migration 017's mark) is never measured.
            _ = try await desk.levels.savePolicy(
                SLAPolicyInput(name: chat.name, match: chat.match, firstResponseSeconds: 60, enabled: true), id: chat.id, by: Self.admin)
            let old = try await Self.start(desk)
            try await desk.store.database.write { sql in
                try await sql.raw("DELETE FROM conversation_sla_timers WHERE conversation_id = \(bind: old.id.rawValue)").run()
                try await sql.raw("UPDATE conversations SET sla_policy_id = 'unmeasured' WHERE id = \(bind: old.id.rawValue)").run()
            }
            _ = try await desk.service.change(ConversationChange(priority: .urgent, labels: ["vip"]), of: old.id, by: .agent(desk.agent.id))
            try await Self.say(desk, old.id, customer: true)
            #expect(try await desk.store.slaTimers(conversationId: old.id).isEmpty)
            // Names are one line: a holiday name with a line break cannot read as a second holiday.
            let calendar = try await desk.levels.saveCalendar(
                BusinessCalendarInput(
                    name: "Ops\u{0}desk", timeZone: "UTC", periods: nil,
                    holidays: [ImportedHoliday(date: CalendarDate("2027-05-01")!, name: "Labour Day\n2027-12-24 Injected")]), id: nil, by: Self.admin)
            #expect(calendar.name == "Ops desk")
            #expect(calendar.holidays.map(\.name) == ["Labour Day 2027-12-24 Injected"])
        }
    }

    @Test(arguments: TestBackend.available)
    func missedConversationsSortFirstByDueTime(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let first = try await Self.start(desk)
            desk.clock.advance(by: 200)
            let second = try await Self.start(desk)
            desk.clock.advance(by: 200)
            _ = try await desk.service.fireDueResponseTargets(owner: "a", now: desk.clock.now)
            let page = try await desk.store.listConversations(filter: ConversationFilter(order: .slaDue), after: nil, limit: 10)
            #expect(page.items.map(\.id) == [first.id, second.id])
            #expect(page.items.first?.sla?.breached == true)
            let missed = try await desk.store.listConversations(filter: ConversationFilter(sla: .breached, order: .slaDue), after: nil, limit: 10)
            #expect(missed.items.map(\.id) == [first.id])
        }
    }
}
