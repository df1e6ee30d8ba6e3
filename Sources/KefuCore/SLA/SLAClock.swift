import Foundation

/// One response target being counted for one conversation.
public struct SLATimer: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Counting since `since`; `due` is nil when the calendar has no business time left.
        case running(since: Date, due: Date?, warnAt: Date?)
        /// Waiting on the customer (pending, snoozed).
        case paused(since: Date)
        /// Done: `met` when the reply or resolution came, otherwise the target no longer applies.
        case stopped(at: Date, met: Bool)
    }

    public var metric: SLAMetric
    public var policyId: SLAPolicyID
    public var target: Int
    public var warnBefore: Int
    public var startedAt: Date
    /// Business seconds counted before the current running stretch.
    public var consumed: Int
    public var phase: Phase
    public var warned: Bool
    public var breachedAt: Date?

    public init(
        metric: SLAMetric, policyId: SLAPolicyID, target: Int, warnBefore: Int, startedAt: Date, consumed: Int, phase: Phase, warned: Bool,
        breachedAt: Date?
    ) {
        self.metric = metric
        self.policyId = policyId
        self.target = target
        self.warnBefore = warnBefore
        self.startedAt = startedAt
        self.consumed = consumed
        self.phase = phase
        self.warned = warned
        self.breachedAt = breachedAt
    }

    public var isActive: Bool {
        if case .stopped = phase { return false }
        return true
    }

    public var dueAt: Date? {
        if case .running(_, let due, _) = phase { return due }
        return nil
    }

    /// When the timer service must next look at this timer: the warning, then the breach.
    public var fireAt: Date? {
        guard case .running(_, let due, let warnAt) = phase, breachedAt == nil else { return nil }
        if !warned, let warnAt { return min(warnAt, due ?? warnAt) }
        return due
    }
}

/// Something that happened to a conversation's targets, for its log and for reports.
public struct SLAEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case applied, paused, resumed, warned, breached, met, cancelled
    }

    public var metric: SLAMetric
    public var kind: Kind
    public var at: Date
    public var policyId: SLAPolicyID
    public var targetSeconds: Int
    /// Business seconds counted so far (for `met`: the response time on the calendar).
    public var elapsedSeconds: Int

    public init(metric: SLAMetric, kind: Kind, at: Date, policyId: SLAPolicyID, targetSeconds: Int, elapsedSeconds: Int) {
        self.metric = metric
        self.kind = kind
        self.at = at
        self.policyId = policyId
        self.targetSeconds = targetSeconds
        self.elapsedSeconds = elapsedSeconds
    }
}

/// What the clock needs to know about the conversation besides its timers.
public struct SLAFacts: Sendable, Equatable {
    public var status: ConversationStatus
    public var createdAt: Date
    /// An agent has replied at least once.
    public var agentReplied: Bool
    /// The customer wrote after the last agent reply (or nobody replied yet).
    public var awaitingReply: Bool

    public init(status: ConversationStatus, createdAt: Date, agentReplied: Bool, awaitingReply: Bool) {
        self.status = status
        self.createdAt = createdAt
        self.agentReplied = agentReplied
        self.awaitingReply = awaitingReply
    }

    var waitsOnCustomer: Bool { status == .pending || status == .snoozed }
}

/// The pure rule of response targets: the conversation's timers plus what just happened give
/// the new timers and the events to log. The store runs it inside the transaction that made the
/// change, so the clock and the conversation never disagree.
public struct SLAClock: Sendable {
    public private(set) var timers: [SLAMetric: SLATimer]
    public private(set) var events: [SLAEvent] = []
    let calendar: BusinessCalendar

    public init(timers: [SLATimer], calendar: BusinessCalendar) {
        self.timers = Dictionary(timers.map { ($0.metric, $0) }, uniquingKeysWith: { $1 })
        self.calendar = calendar
    }

    /// Timers whose stored row must be written (new or changed).
    public func changed(from before: [SLATimer]) -> [SLATimer] {
        let old = Dictionary(before.map { ($0.metric, $0) }, uniquingKeysWith: { $1 })
        return timers.values.filter { old[$0.metric] != $0 }.sorted { $0.metric < $1.metric }
    }

    /// Business seconds a timer has counted by `instant`.
    public func elapsed(_ timer: SLATimer, at instant: Date) -> Int {
        if case .running(let since, _, _) = timer.phase { return timer.consumed + calendar.businessSeconds(from: since, to: instant) }
        return timer.consumed
    }

    // MARK: - What happened

    /// A policy now covers the conversation (it started, or its inbox, priority or labels changed
    /// so another policy matches; nil when none does). Targets are re-set; time already counted stays.
    public mutating func apply(_ policy: SLAPolicy?, facts: SLAFacts, at instant: Date) {
        for metric in SLAMetric.allCases {
            guard let policy, let target = policy.targets[metric] else {
                if let timer = timers[metric], timer.isActive { stop(metric, met: false, at: instant) }
                continue
            }
            if var timer = timers[metric], timer.isActive {
                guard timer.policyId != policy.id || timer.target != target || timer.warnBefore != policy.warnBeforeSeconds else { continue }
                timer.policyId = policy.id
                timer.target = target
                timer.warnBefore = policy.warnBeforeSeconds
                if case .running(let since, _, _) = timer.phase {
                    timer.consumed += calendar.businessSeconds(from: since, to: instant)
                    timer.phase = running(timer, since: instant)
                }
                timers[metric] = timer
                log(.applied, timer, at: instant)
                continue
            }
            guard facts.status != .resolved, !wasMet(metric) else { continue }
            let owed: Bool
            switch metric {
            case .firstResponse: owed = !facts.agentReplied
            case .nextResponse: owed = facts.agentReplied && facts.awaitingReply
            case .resolution: owed = true
            }
            guard owed else { continue }
            begin(metric, policy: policy, target: target, facts: facts, at: instant)
        }
    }

    /// The customer wrote: the first response is still owed, or a reply is owed again.
    public mutating func customerWrote(at instant: Date, policy: SLAPolicy?, facts: SLAFacts) {
        // A message kept in a resolved conversation (a robot's) owes nothing.
        guard let policy, facts.status != .resolved else { return }
        let metric: SLAMetric = facts.agentReplied ? .nextResponse : .firstResponse
        guard policy.targets[metric] != nil, timers[metric]?.isActive != true, !wasMet(metric) else { return }
        if metric == .nextResponse, timers[.firstResponse]?.isActive == true { return }
        begin(metric, policy: policy, target: policy.targets[metric]!, facts: facts, at: instant)
    }

    /// Counts a target that is owed and not running: the one stopped without being met (its
    /// policy went away, or the conversation was resolved unanswered) carries on, keeping its
    /// warning and breach so it never breaches twice; otherwise a new one starts (a next
    /// response from now, the others from the start of the conversation).
    private mutating func begin(_ metric: SLAMetric, policy: SLAPolicy, target: Int, facts: SLAFacts, at instant: Date) {
        if var timer = timers[metric], case .stopped(_, met: false) = timer.phase {
            timer.policyId = policy.id
            timer.target = target
            timer.warnBefore = policy.warnBeforeSeconds
            timer.consumed = calendar.businessSeconds(from: timer.startedAt, to: instant)
            timer.phase = .paused(since: instant)
            if !facts.waitsOnCustomer { timer.phase = running(timer, since: instant) }
            timers[metric] = timer
            log(.applied, timer, at: instant)
            if facts.waitsOnCustomer { log(.paused, timer, at: instant) }
            return
        }
        let startsFrom = metric == .nextResponse ? instant : facts.createdAt
        start(metric, policy: policy, target: target, from: startsFrom, at: instant, paused: facts.waitsOnCustomer)
    }

    /// An agent replied to the customer: the response targets owed are met.
    public mutating func agentReplied(at instant: Date) {
        for metric in [SLAMetric.firstResponse, .nextResponse] where timers[metric]?.isActive == true {
            stop(metric, met: true, at: instant)
        }
    }

    /// The conversation's status changed: waiting on the customer pauses every target, open
    /// resumes them, resolved meets the resolution target and drops the response targets.
    public mutating func statusChanged(to status: ConversationStatus, at instant: Date) {
        for metric in SLAMetric.allCases {
            guard var timer = timers[metric] else { continue }
            switch (status, timer.phase) {
            case (.pending, .running(let since, _, _)), (.snoozed, .running(let since, _, _)):
                timer.consumed += calendar.businessSeconds(from: since, to: instant)
                timer.phase = .paused(since: instant)
                timers[metric] = timer
                log(.paused, timer, at: instant)
            case (.open, .paused):
                timer.phase = running(timer, since: instant)
                timers[metric] = timer
                log(.resumed, timer, at: instant)
            case (.open, .stopped(_, met: true)) where metric == .resolution:
                // Reopened: the resolution target counts on from where it stopped.
                timer.phase = running(timer, since: instant)
                timers[metric] = timer
                log(.resumed, timer, at: instant)
            case (.resolved, .running), (.resolved, .paused):
                stop(metric, met: metric == .resolution, at: instant)
            default:
                continue
            }
        }
    }

    /// The timer service's tick: warnings and breaches that are due by `instant`, each once.
    public mutating func fire(at instant: Date) {
        for metric in SLAMetric.allCases {
            guard var timer = timers[metric], case .running(_, let due, let warnAt) = timer.phase, timer.breachedAt == nil else { continue }
            if !timer.warned, let warnAt, warnAt <= instant, due.map({ warnAt < $0 }) ?? true, due.map({ $0 > instant }) ?? true {
                timer.warned = true
                timers[metric] = timer
                log(.warned, timer, at: instant)
            }
            if let due, due <= instant {
                timer.warned = true
                timer.breachedAt = due
                timers[metric] = timer
                log(.breached, timer, at: due)
            }
        }
    }

    // MARK: - Steps

    /// A first response or resolution already given is not owed again; a next response is owed
    /// once per customer turn, so a met one starts over.
    private func wasMet(_ metric: SLAMetric) -> Bool {
        guard metric != .nextResponse, case .stopped(_, let met)? = timers[metric]?.phase else { return false }
        return met
    }

    private mutating func start(_ metric: SLAMetric, policy: SLAPolicy, target: Int, from start: Date, at instant: Date, paused: Bool) {
        var timer = SLATimer(
            metric: metric, policyId: policy.id, target: target, warnBefore: policy.warnBeforeSeconds, startedAt: start,
            consumed: calendar.businessSeconds(from: start, to: instant), phase: .paused(since: instant), warned: false, breachedAt: nil)
        if !paused { timer.phase = running(timer, since: instant) }
        timers[metric] = timer
        log(.applied, timer, at: instant)
        if paused { log(.paused, timer, at: instant) }
    }

    private mutating func stop(_ metric: SLAMetric, met: Bool, at instant: Date) {
        guard var timer = timers[metric] else { return }
        timer.consumed = elapsed(timer, at: instant)
        timer.phase = .stopped(at: instant, met: met)
        timers[metric] = timer
        log(met ? .met : .cancelled, timer, at: instant)
    }

    /// A running phase from `since`, with the due and warning instants on the calendar.
    private func running(_ timer: SLATimer, since: Date) -> SLATimer.Phase {
        let left = timer.target - timer.consumed
        let due = calendar.adding(max(0, left), to: since)
        var warnAt: Date?
        if timer.warnBefore > 0, !timer.warned, timer.breachedAt == nil {
            warnAt = calendar.adding(max(0, left - timer.warnBefore), to: since)
        }
        return .running(since: since, due: due, warnAt: warnAt)
    }

    private mutating func log(_ kind: SLAEvent.Kind, _ timer: SLATimer, at instant: Date) {
        events.append(
            SLAEvent(
                metric: timer.metric, kind: kind, at: instant, policyId: timer.policyId, targetSeconds: timer.target,
                elapsedSeconds: kind == .applied ? timer.consumed : elapsed(timer, at: instant)))
    }
}
