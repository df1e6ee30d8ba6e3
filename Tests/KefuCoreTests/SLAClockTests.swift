import Foundation
import KefuCore
import Testing

@Suite struct SLAClockTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func at(_ seconds: Int) -> Date { t0.addingTimeInterval(TimeInterval(seconds)) }
    static let chat = SLAPolicy(
        id: SLAPolicyID.generate(), name: "Chat", match: SLAMatch(channel: .webchat),
        targets: [.firstResponse: 300, .nextResponse: 300, .resolution: 3600], warnBeforeSeconds: 60)
    static func facts(_ status: ConversationStatus = .open, replied: Bool = false, awaiting: Bool = true) -> SLAFacts {
        SLAFacts(status: status, createdAt: t0, agentReplied: replied, awaitingReply: awaiting)
    }
    static func started() -> SLAClock {
        var clock = SLAClock(timers: [], calendar: .alwaysOpen)
        clock.apply(chat, facts: facts(), at: t0)
        return clock
    }

    @Test func appliesTargetsAndFiresWarningThenBreachOnce() {
        var clock = Self.started()
        #expect(clock.timers[.firstResponse]?.dueAt == Self.at(300))
        #expect(clock.timers[.firstResponse]?.fireAt == Self.at(240))
        #expect(clock.timers[.nextResponse] == nil)
        #expect(clock.events.map(\.kind) == [.applied, .applied])
        clock.fire(at: Self.at(239))
        #expect(clock.events.count == 2)
        clock.fire(at: Self.at(240))
        clock.fire(at: Self.at(241))
        #expect(clock.events.filter { $0.kind == .warned }.map(\.metric) == [.firstResponse])
        #expect(clock.timers[.firstResponse]?.fireAt == Self.at(300))
        clock.fire(at: Self.at(305))
        clock.fire(at: Self.at(400))
        let breaches = clock.events.filter { $0.kind == .breached }
        #expect(breaches.map(\.metric) == [.firstResponse])
        #expect(breaches.first?.at == Self.at(300))
        #expect(clock.timers[.firstResponse]?.breachedAt == Self.at(300))
        #expect(clock.timers[.firstResponse]?.fireAt == nil)
        // A late reply is still a response: met, with the time it took.
        clock.agentReplied(at: Self.at(420))
        #expect(clock.events.last == SLAEvent(metric: .firstResponse, kind: .met, at: Self.at(420), policyId: Self.chat.id, targetSeconds: 300, elapsedSeconds: 420))
    }

    @Test func waitingOnTheCustomerPausesEveryTarget() {
        var clock = Self.started()
        clock.statusChanged(to: .pending, at: Self.at(100))
        #expect(clock.timers[.firstResponse]?.consumed == 100)
        #expect(clock.timers[.firstResponse]?.fireAt == nil)
        clock.fire(at: Self.at(10_000))
        #expect(!clock.events.contains { $0.kind == .breached })
        clock.statusChanged(to: .open, at: Self.at(1000))
        #expect(clock.timers[.firstResponse]?.dueAt == Self.at(1200))
        #expect(clock.timers[.resolution]?.dueAt == Self.at(1000 + 3500))
        #expect(clock.events.map(\.kind) == [.applied, .applied, .paused, .paused, .resumed, .resumed])
    }

    @Test func repliesMeetResponseTargetsAndCustomerTurnsStartTheNext() {
        var clock = Self.started()
        clock.agentReplied(at: Self.at(50))
        #expect(clock.events.last?.kind == .met)
        #expect(clock.events.last?.elapsedSeconds == 50)
        clock.customerWrote(at: Self.at(100), policy: Self.chat, facts: Self.facts(replied: true))
        #expect(clock.timers[.nextResponse]?.dueAt == Self.at(400))
        // A second message in the same turn does not restart the clock.
        clock.customerWrote(at: Self.at(200), policy: Self.chat, facts: Self.facts(replied: true))
        #expect(clock.timers[.nextResponse]?.dueAt == Self.at(400))
        clock.agentReplied(at: Self.at(250))
        #expect(clock.events.last == SLAEvent(metric: .nextResponse, kind: .met, at: Self.at(250), policyId: Self.chat.id, targetSeconds: 300, elapsedSeconds: 150))
        clock.customerWrote(at: Self.at(300), policy: Self.chat, facts: Self.facts(replied: true))
        #expect(clock.timers[.nextResponse]?.dueAt == Self.at(600))
    }

    @Test func resolvingMeetsResolutionDropsResponsesAndReopeningCountsOn() {
        var clock = Self.started()
        clock.statusChanged(to: .resolved, at: Self.at(600))
        let kinds = clock.events.suffix(2).map { "\($0.metric.rawValue):\($0.kind.rawValue)" }
        #expect(kinds == ["first_response:cancelled", "resolution:met"])
        clock.fire(at: Self.at(100_000))
        #expect(!clock.events.contains { $0.kind == .breached })
        clock.statusChanged(to: .open, at: Self.at(1000))
        #expect(clock.timers[.resolution]?.dueAt == Self.at(1000 + 3000))
        // Applying the same policy again changes nothing and logs nothing.
        let count = clock.events.count
        clock.apply(Self.chat, facts: Self.facts(replied: true, awaiting: false), at: Self.at(1100))
        #expect(clock.events.count == count)
    }

    @Test func anotherPolicyResetsTargetsButKeepsTimeCounted() {
        var clock = Self.started()
        var urgent = Self.chat
        urgent.id = SLAPolicyID.generate()
        urgent.targets = [.firstResponse: 120]
        clock.apply(urgent, facts: Self.facts(), at: Self.at(100))
        #expect(clock.timers[.firstResponse]?.dueAt == Self.at(120))
        #expect(clock.timers[.firstResponse]?.policyId == urgent.id)
        #expect(clock.timers[.resolution]?.isActive == false)
        clock.apply(nil, facts: Self.facts(), at: Self.at(110))
        #expect(clock.timers.values.allSatisfy { !$0.isActive })
        // A pending conversation gets its targets paused from the start.
        var pending = SLAClock(timers: [], calendar: .alwaysOpen)
        pending.apply(Self.chat, facts: Self.facts(.pending), at: Self.t0)
        #expect(pending.timers[.firstResponse]?.fireAt == nil)
        #expect(pending.events.map(\.kind) == [.applied, .paused, .applied, .paused])
    }

    @Test func policiesSelectTheMostSpecific() {
        let inbox = InboxID.generate()
        let channel = SLAPolicy(id: .generate(), name: "c", match: SLAMatch(channel: .webchat), targets: [.firstResponse: 300])
        let urgent = SLAPolicy(id: .generate(), name: "u", match: SLAMatch(priority: .urgent), targets: [.firstResponse: 60])
        let vip = SLAPolicy(id: .generate(), name: "v", match: SLAMatch(label: "vip"), targets: [.firstResponse: 30])
        var off = vip
        off.id = .generate()
        off.match = SLAMatch(priority: .none, label: "vip")
        off.enabled = false
        let all = [channel, urgent, vip, off]
        #expect(SLAPolicy.select(from: all, channel: .webchat, inboxId: inbox, priority: .none, labels: [])?.id == channel.id)
        #expect(SLAPolicy.select(from: all, channel: .webchat, inboxId: inbox, priority: .urgent, labels: [])?.id == urgent.id)
        #expect(SLAPolicy.select(from: all, channel: .email, inboxId: inbox, priority: .urgent, labels: ["vip"])?.id == vip.id)
        #expect(SLAPolicy.select(from: all, channel: .email, inboxId: inbox, priority: .low, labels: []) == nil)
    }

    @Test func aTargetDroppedAndBroughtBackNeverBreachesTwice() {
        var clock = Self.started()
        clock.fire(at: Self.at(301))
        var resolutionOnly = Self.chat
        resolutionOnly.id = SLAPolicyID.generate()
        resolutionOnly.targets = [.resolution: 3600]
        // The priority went up, a policy without a first-response target applies, then back.
        for round in 0..<3 {
            clock.apply(resolutionOnly, facts: Self.facts(), at: Self.at(400 + round * 20))
            clock.apply(Self.chat, facts: Self.facts(), at: Self.at(410 + round * 20))
            clock.fire(at: Self.at(5000 + round))
        }
        #expect(clock.events.filter { $0.kind == .breached && $0.metric == .firstResponse }.count == 1)
        #expect(clock.timers[.firstResponse]?.isActive == true)
        #expect(clock.timers[.firstResponse]?.breachedAt == Self.at(300))
        // Resolved unanswered and written to again: the same first response is still owed.
        clock.statusChanged(to: .resolved, at: Self.at(6000))
        clock.statusChanged(to: .open, at: Self.at(7000))
        clock.customerWrote(at: Self.at(7000), policy: Self.chat, facts: Self.facts())
        clock.fire(at: Self.at(9000))
        #expect(clock.timers[.firstResponse]?.isActive == true)
        #expect(clock.events.filter { $0.kind == .breached && $0.metric == .firstResponse }.count == 1)
    }
}
