import Foundation
import KefuConversations
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore
import KefuTestSupport
import Logging
import Synchronization
import Testing

/// Satisfaction surveys through the real store and services, on both databases. The channel
/// delivery is recorded here; the mail, widget and Telegram paths are driven end to end in e2e.
@Suite struct SatisfactionSurveyTests {
    final class RecordingDelivery: SurveyDelivery {
        let sent = Mutex<[SurveyID]>([])
        func deliverSurvey(_ invitation: SurveyInvitation) async throws { sent.withLock { $0.append(invitation.context.survey.id) } }
        var count: Int { sent.withLock { $0.count } }
    }

    struct Desk {
        let store: SQLStore
        let clock: TestClock
        let service: ConversationService
        let surveys: SatisfactionSurveys
        let delivery: RecordingDelivery
        let inbox: Inbox
        let contact: Contact
        let agent: Agent
        let supervisor: Agent
    }

    static let links = SurveyLinks(secretKey: Data(repeating: 7, count: 32), publicURL: "https://kefu.test/")

    static func withDesk<T: Sendable>(_ backend: TestBackend, _ body: @Sendable (Desk) async throws -> T) async throws -> T {
        let clock = TestClock(Date(timeIntervalSince1970: 1_796_004_000))
        return try await withTestStore(backend, now: { clock.now }) { store in
            let service = ConversationService(store: store, bus: EventHub(), presence: PresenceRegistry())
            let delivery = RecordingDelivery()
            let surveys = SatisfactionSurveys(
                store: store, conversations: service, delivery: delivery, links: Self.links, delay: 60, logger: Logger(label: "test"))
            let inbox = try await store.createInbox(name: "Website", kind: .webchat, audit: nil)
            let contact = try await store.createContact(name: "Li Wei", email: "li@kefu.test", locale: "zh-CN")
            let agent = try await store.createAgent(email: "mei@kefu.test", name: "Mei", role: .agent, passwordHash: "x", mustChangePassword: false, audit: nil)
            let supervisor = try await store.createAgent(
                email: "sun@kefu.test", name: "Sun", role: .supervisor, passwordHash: "x", mustChangePassword: false, audit: nil)
            return try await body(
                Desk(
                    store: store, clock: clock, service: service, surveys: surveys, delivery: delivery, inbox: inbox, contact: contact, agent: agent,
                    supervisor: supervisor))
        }
    }

    /// A chat with a customer message and an agent reply, assigned to the agent, then resolved.
    static func resolvedChat(_ desk: Desk) async throws -> ConversationID {
        let started = try await desk.service.start(
            ConversationStart(
                inboxId: desk.inbox.id, contactId: desk.contact.id, subject: nil,
                firstMessage: NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "充值没到账")),
            autoAssign: false)
        let id = started.conversation.id
        _ = try await desk.service.send(NewMessage(direction: .outgoing, author: .agent(desk.agent.id), text: "已到账"), to: id)
        _ = try await desk.service.change(ConversationChange(status: .resolved, assigneeId: .some(desk.agent.id)), of: id, by: .agent(desk.agent.id))
        return id
    }

    static func set(_ desk: Desk, _ id: ConversationID, _ status: ConversationStatus) async throws {
        _ = try await desk.service.change(ConversationChange(status: status), of: id, by: .agent(desk.agent.id))
    }

    @Test func linksNameOneSurveyAndCannotBeForged() {
        let id = SurveyID.generate()
        let token = Self.links.token(for: id)
        #expect(token.count == 38)
        #expect(Self.links.survey(for: token) == id)
        #expect(Self.links.page(for: id) == "https://kefu.test/csat/\(token)")
        var forged = Array(token)
        forged[3] = forged[3] == "A" ? "B" : "A"
        #expect(Self.links.survey(for: String(forged)) == nil)
        #expect(Self.links.survey(for: SurveyLinks(secretKey: Data(repeating: 8, count: 32), publicURL: "x").token(for: id)) == nil)
        // One spelling only: the last character's unused bits changed names nothing.
        let last = token.last!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let index = alphabet.firstIndex(of: last)!
        let sibling = alphabet[(index & ~3) | ((index + 1) & 3)]
        #expect(Self.links.survey(for: String(token.dropLast()) + String(sibling)) == nil)
        for junk in ["", "x", String(repeating: "A", count: 38), "../../etc/passwd", String(repeating: "é", count: 38)] {
            #expect(Self.links.survey(for: junk) == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func aResolutionIsAskedOnceAfterTheDelayAndOnlyWhileResolved(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let id = try await Self.resolvedChat(desk)
            #expect(try await desk.surveys.sendDue(owner: "a", now: desk.clock.now.addingTimeInterval(59)) == 0)
            #expect(try await desk.surveys.sendDue(owner: "a", now: desk.clock.now.addingTimeInterval(61)) == 1)
            #expect(try await desk.surveys.sendDue(owner: "a", now: desk.clock.now.addingTimeInterval(600)) == 0)
            let first = try #require(try await desk.store.surveys(conversationId: id).first)
            #expect(first.status == .sent)
            #expect(first.agentId == desk.agent.id)
            #expect(first.locale == "zh-CN")
            #expect(desk.delivery.count == 1)
            let history = try await desk.store.messages(conversationId: id, since: 0, limit: 50).compactMap(\.systemEvent)
            #expect(history.contains(.surveyRequested(first.id)))
            // Reopened before its delay ran out: that resolution is not asked about.
            try await Self.set(desk, id, .open)
            try await Self.set(desk, id, .resolved)
            try await Self.set(desk, id, .open)
            #expect(try await desk.surveys.sendDue(owner: "a", now: desk.clock.now.addingTimeInterval(120)) == 1)
            try await Self.set(desk, id, .resolved)
            #expect(try await desk.surveys.sendDue(owner: "a", now: desk.clock.now.addingTimeInterval(120)) == 1)
            let all = try await desk.store.surveys(conversationId: id)
            #expect(all.map(\.resolution) == [1, 2, 3])
            #expect(all.map(\.status) == [.sent, .skipped, .sent])
            #expect(all[1].skipReason == "reopened")
            #expect(desk.delivery.count == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func answersAreRecordedWithTheAgentAndLowOnesOpenAFollowUp(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let id = try await Self.resolvedChat(desk)
            _ = try await desk.surveys.sendDue(owner: "a", now: desk.clock.now.addingTimeInterval(61))
            let survey = try #require(try await desk.store.surveys(conversationId: id).first)
            let token = Self.links.token(for: survey.id)
            let answered = try await desk.surveys.answer(token: token, rating: 2, comment: "  太慢了  ", via: "page")
            #expect(answered.history?.systemEvent == .surveyAnswered(rating: 2))
            #expect(answered.conversation.csat == SurveyAnswer(rating: 2, comment: "太慢了"))
            #expect(answered.survey.followUp == .open)
            #expect(try await desk.store.agentNotifications(agentId: desk.supervisor.id, limit: 5).map(\.kind) == [.csatLow])
            // Amended: the latest answer stands, no second history line, no second follow-up.
            let amended = try await desk.surveys.answer(token: token, rating: 4, comment: nil, via: "page")
            #expect(amended.history == nil)
            #expect(try await desk.store.conversation(id: id)?.csat == SurveyAnswer(rating: 4, comment: nil))
            #expect(try await desk.store.agentNotifications(agentId: desk.supervisor.id, limit: 5).count == 1)
            // Bad answers and strangers are refused.
            await #expect(throws: ConversationError.self) { _ = try await desk.surveys.answer(token: token, rating: 6, comment: nil, via: "page") }
            await #expect(throws: ConversationError.notFound("survey")) {
                _ = try await desk.surveys.answer(survey.id, from: ContactID.generate(), rating: 5, comment: nil)
            }
            let followUps = try await desk.surveys.followUps()
            #expect(followUps.map(\.survey.id) == [survey.id])
            try await desk.surveys.closeFollowUp(survey.id, by: desk.supervisor.id)
            #expect(try await desk.surveys.followUps().isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)
    func inboxesCanSwitchItOffAndSupervisorsSendByHandOnce(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            _ = try await desk.surveys.setEnabled(false, inbox: desk.inbox.id, by: .system)
            let id = try await Self.resolvedChat(desk)
            #expect(try await desk.surveys.sendDue(owner: "a", now: desk.clock.now.addingTimeInterval(3600)) == 0)
            #expect(try await desk.store.surveys(conversationId: id).first?.skipReason == "inbox_off")
            let manual = try await desk.surveys.sendByHand(id, by: .agent(desk.supervisor.id), now: desk.clock.now)
            #expect(manual.manual && manual.status == .scheduled)
            #expect(try await desk.surveys.sendDue(owner: "a", now: desk.clock.now) == 1)
            await #expect(throws: ConversationError.conflict("survey")) { _ = try await desk.surveys.sendByHand(id, by: .agent(desk.supervisor.id)) }
            try await Self.set(desk, id, .open)
            await #expect(throws: ConversationError.conflict("conversation")) { _ = try await desk.surveys.sendByHand(id, by: .agent(desk.supervisor.id)) }
        }
    }

    @Test(arguments: TestBackend.available)
    func parallelSendersSendEachSurveyOnce(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            for _ in 0..<10 { _ = try await Self.resolvedChat(desk) }
            let now = desk.clock.now.addingTimeInterval(61)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for owner in ["a", "b", "c", "d"] { group.addTask { try await desk.surveys.sendDue(owner: owner, now: now, limit: 3) } }
                for try await _ in group {}
            }
            while try await desk.surveys.sendDue(owner: "a", now: now) > 0 {}
            #expect(desk.delivery.count == 10)
            #expect(Set(desk.delivery.sent.withLock { $0 }).count == 10)
        }
    }

    @Test func robotsGroupsAndSilentCustomersAreNotAsked() {
        let conversation = Conversation(
            id: .generate(), number: 1, inboxId: .generate(), contactId: .generate(), subject: nil, status: .resolved, priority: .none,
            assigneeId: nil, teamId: nil, labels: [], lastSeq: 2, lastMessageAt: nil, snoozedUntil: nil, createdAt: Date(), updatedAt: Date())
        let survey = SatisfactionSurvey(
            id: .generate(), conversationId: conversation.id, resolution: 1, inboxId: conversation.inboxId, channel: .email, status: .scheduled,
            skipReason: nil, manual: false, locale: "en", agentId: nil, teamId: nil, resolvedAt: Date(), sentAt: nil, answer: nil, answeredAt: nil,
            answeredVia: nil, followUp: nil, createdAt: Date())
        func context(_ kind: InboxKind, automatic: Bool = false, silent: Bool = false, thread: String? = nil, resolutions: Int = 1) -> SurveyContext {
            var context = SurveyContext(
                survey: survey, conversation: conversation, inbox: Inbox(id: conversation.inboxId, name: "x", kind: kind, createdAt: Date()),
                contact: nil, lastMailAutomatic: automatic, customerSilent: silent, threadKey: thread)
            context.resolutions = resolutions
            return context
        }
        #expect(SatisfactionSurveys.skipReason(context(.email)) == nil)
        #expect(SatisfactionSurveys.skipReason(context(.email, automatic: true)) == "automatic_mail")
        #expect(SatisfactionSurveys.skipReason(context(.webchat, silent: true)) == "customer_silent")
        #expect(SatisfactionSurveys.skipReason(context(.telegram, thread: "chat:-100123")) == "group_chat")
        #expect(SatisfactionSurveys.skipReason(context(.telegram, thread: "chat:4242")) == nil)
        #expect(SatisfactionSurveys.skipReason(context(.webchat, resolutions: 2)) == "reopened")
    }

    @Test(arguments: TestBackend.available)
    func parallelResolvesAreOneResolutionAndAReopenStopsTheSurvey(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let started = try await desk.service.start(
                ConversationStart(
                    inboxId: desk.inbox.id, contactId: desk.contact.id, subject: nil,
                    firstMessage: NewMessage(direction: .incoming, author: .contact(desk.contact.id), text: "hi")),
                autoAssign: false)
            let id = started.conversation.id
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.set(desk, id, .resolved) } }
                for try await _ in group {}
            }
            #expect(try await desk.store.surveys(conversationId: id).count == 1)
            // Leased, then reopened before it is marked sent: it does not go.
            let claimed = try await desk.store.claimDueSurveys(cutoff: desk.clock.now.addingTimeInterval(100), now: desk.clock.now, owner: "a", lease: 60, limit: 5)
            #expect(claimed.count == 1)
            try await Self.set(desk, id, .open)
            let finished = try await desk.service.finishSurvey(claimed[0].id, owner: "a", skipReason: nil, ratingURL: "x", at: desk.clock.now)
            #expect(finished?.status == .skipped)
            #expect(finished?.skipReason == "reopened")
            // Switched off after it was scheduled: not sent either; a robot's cannot be forced by hand.
            try await Self.set(desk, id, .resolved)
            _ = try await desk.surveys.setEnabled(false, inbox: desk.inbox.id, by: .system)
            _ = try await desk.surveys.sendDue(owner: "a", now: desk.clock.now.addingTimeInterval(61))
            #expect(try await desk.store.surveys(conversationId: id).last?.skipReason == "inbox_off")
            #expect(desk.delivery.count == 0)
            _ = try await desk.surveys.sendByHand(id, by: .system, now: desk.clock.now)
            #expect(try await desk.surveys.sendDue(owner: "a", now: desk.clock.now) == 1)
            #expect(desk.delivery.count == 1)
        }
    }
}
