import Foundation
import KefuCore
import SQLKit

/// Moves a conversation's response-target clock inside the transaction that changed the
/// conversation: the pure `SLAClock` rule decides, this reads its inputs and writes its output.
extension SQLStore {
    /// What changed the conversation.
    enum SLATrigger {
        /// A message was stored (its direction and author decide what it means).
        case message(MessageDirection, AuthorKind)
        /// Status, priority, labels, team or assignee changed; `reselect` when the policy may change.
        case changed(reselect: Bool)
    }

    /// The policy mark of conversations from before response targets existed (migration 017).
    static let unmeasured = "unmeasured"

    static let slaTimerColumns = """
        metric, policy_id, target_seconds, warn_before_seconds, started_at, consumed_seconds, phase, since_at, due_at, warn_at, met,
        warned, breached_at
        """

    static func slaTimer(from row: any SQLRow) throws -> SLATimer {
        let since = try row.date("since_at")
        let phase: SLATimer.Phase
        switch try row.string("phase") {
        case "running": phase = .running(since: since, due: try row.optionalDate("due_at"), warnAt: try row.optionalDate("warn_at"))
        case "paused": phase = .paused(since: since)
        default: phase = .stopped(at: since, met: try row.bool("met"))
        }
        return SLATimer(
            metric: try row.enumValue("metric", as: SLAMetric.self), policyId: SLAPolicyID(rawValue: try row.string("policy_id")),
            target: try row.decode(column: "target_seconds", as: Int.self), warnBefore: try row.decode(column: "warn_before_seconds", as: Int.self),
            startedAt: try row.date("started_at"), consumed: try row.decode(column: "consumed_seconds", as: Int.self), phase: phase,
            warned: try row.bool("warned"), breachedAt: try row.optionalDate("breached_at"))
    }

    static func loadSLATimers(_ conversation: String, on sql: any SQLDatabase) async throws -> [SLATimer] {
        try await sql.raw("SELECT \(unsafeRaw: slaTimerColumns) FROM conversation_sla_timers WHERE conversation_id = \(bind: conversation)")
            .all().map(slaTimer(from:))
    }

    /// The conversation columns the clock reads, as a statement's `RETURNING` or `SELECT` list.
    static let slaConversationColumns = "status, priority, inbox_id, created_at, sla_policy_id, first_reply_at"

    /// Runs the clock for one conversation after `trigger`, inside the caller's write transaction.
    /// `current` is the conversation's row with `slaConversationColumns` when the caller has just
    /// read it (a message append's `UPDATE … RETURNING`), saving a second read.
    static func advanceSLA(
        _ conversation: String, after trigger: SLATrigger, at: Int64, current read: (any SQLRow)? = nil, on sql: any SQLDatabase
    ) async throws {
        if case .message(let direction, let author) = trigger {
            // Notes and history lines other than status changes move nothing.
            guard direction == .incoming || direction == .system || (direction == .outgoing && author == .agent) else { return }
        }
        var fetched = read
        if fetched == nil {
            fetched = try await sql.raw("SELECT \(unsafeRaw: slaConversationColumns) FROM conversations WHERE id = \(bind: conversation)").first()
        }
        guard let row = fetched else { return }
        let current = try row.optionalString("sla_policy_id")
        // Conversations from before response targets existed are never measured.
        if current == Self.unmeasured { return }
        var reselect = current == nil
        if case .changed(let changedPolicy) = trigger { reselect = reselect || changedPolicy }
        // The fast path of every message in a conversation no policy covers.
        guard reselect || current != "" else { return }

        let status = try row.enumValue("status", as: ConversationStatus.self)
        let instant = Clock.date(at)
        var facts = SLAFacts(
            status: status, createdAt: try row.date("created_at"), agentReplied: try row.optionalDate("first_reply_at") != nil, awaitingReply: false)
        var policy: SLAPolicy?
        if !reselect, let current {
            policy = try await loadSLAPolicy(id: current, on: sql)
            // A policy switched off or deleted hands the conversation to whichever matches now.
            if policy?.enabled != true {
                policy = nil
                reselect = true
            }
        }
        if reselect {
            let labels = try await labels(for: [conversation], on: sql)[conversation] ?? []
            guard
                let kind = try await sql.raw("SELECT kind FROM inboxes WHERE id = \(bind: try row.string("inbox_id"))").first()?
                    .enumValue("kind", as: InboxKind.self)
            else { return }
            policy = SLAPolicy.select(
                from: try await loadSLAPolicies(enabledOnly: true, on: sql), channel: kind,
                inboxId: InboxID(rawValue: try row.string("inbox_id")), priority: try row.enumValue("priority", as: ConversationPriority.self),
                labels: labels)
            facts.awaitingReply = try await awaitsReply(conversation, on: sql)
        }
        let before = try await loadSLATimers(conversation, on: sql)
        guard reselect || policy != nil || before.contains(where: \.isActive) else { return }
        var clock = SLAClock(timers: before, calendar: try await calendar(for: policy, on: sql))
        // The policy as it is now: an edited one reaches running targets at the next change.
        clock.apply(policy, facts: facts, at: instant)
        clock.statusChanged(to: status, at: instant)
        if case .message(let direction, _) = trigger {
            if direction == .incoming {
                facts.awaitingReply = true
                clock.customerWrote(at: instant, policy: policy, facts: facts)
            } else if direction == .outgoing {
                clock.agentReplied(at: instant)
            }
        }
        try await store(clock, before: before, conversation: conversation, policy: reselect ? .some(policy?.id) : nil, at: at, on: sql)
    }

    /// Writes what the clock changed: timers, log lines, and the conversation's summary columns.
    static func store(
        _ clock: SLAClock, before: [SLATimer], conversation: String, policy: SLAPolicyID??, at: Int64, on sql: any SQLDatabase
    ) async throws {
        for timer in clock.changed(from: before) { try await upsert(timer, conversation: conversation, on: sql) }
        for event in clock.events {
            try await sql.raw(
                """
                INSERT INTO sla_events (conversation_id, metric, kind, policy_id, target_seconds, elapsed_seconds, at)
                VALUES (\(bind: conversation), \(bind: event.metric.rawValue), \(bind: event.kind.rawValue), \(bind: event.policyId.rawValue),
                    \(bind: event.targetSeconds), \(bind: event.elapsedSeconds), \(bind: Clock.millis(event.at)))
                """
            ).run()
        }
        let active = clock.timers.values.filter(\.isActive)
        // Missed targets keep their due time: "due soonest" puts the most overdue first.
        let due = active.compactMap(\.dueAt).min().map(Clock.millis)
        let breached = active.contains { $0.breachedAt != nil }
        var assignments: SQLQueryString = "sla_due_at = \(bind: due), sla_breached = \(bind: breached)"
        if let policy { assignments = "\(assignments), sla_policy_id = \(bind: policy?.rawValue ?? "")" }
        try await sql.raw("UPDATE conversations SET \(assignments) WHERE id = \(bind: conversation)").run()
    }

    static func upsert(_ timer: SLATimer, conversation: String, on sql: any SQLDatabase) async throws {
        var phase = "stopped"
        var since = Date()
        var due: Int64?
        var warnAt: Int64?
        var met = false
        switch timer.phase {
        case .running(let from, let dueAt, let warn):
            (phase, since, due, warnAt) = ("running", from, dueAt.map(Clock.millis), warn.map(Clock.millis))
        case .paused(let from): (phase, since) = ("paused", from)
        case .stopped(let at, let wasMet): (since, met) = (at, wasMet)
        }
        let fire = timer.fireAt.map(Clock.millis)
        try await sql.raw(
            """
            INSERT INTO conversation_sla_timers (conversation_id, metric, policy_id, target_seconds, warn_before_seconds, started_at,
                consumed_seconds, phase, since_at, due_at, warn_at, met, warned, breached_at, fire_at)
            VALUES (\(bind: conversation), \(bind: timer.metric.rawValue), \(bind: timer.policyId.rawValue), \(bind: timer.target),
                \(bind: timer.warnBefore), \(bind: Clock.millis(timer.startedAt)), \(bind: timer.consumed), \(bind: phase),
                \(bind: Clock.millis(since)), \(bind: due), \(bind: warnAt), \(bind: met), \(bind: timer.warned),
                \(bind: timer.breachedAt.map(Clock.millis)), \(bind: fire))
            ON CONFLICT (conversation_id, metric) DO UPDATE SET policy_id = excluded.policy_id, target_seconds = excluded.target_seconds,
                warn_before_seconds = excluded.warn_before_seconds, started_at = excluded.started_at,
                consumed_seconds = excluded.consumed_seconds, phase = excluded.phase, since_at = excluded.since_at, due_at = excluded.due_at,
                warn_at = excluded.warn_at, met = excluded.met, warned = excluded.warned, breached_at = excluded.breached_at,
                fire_at = excluded.fire_at
            """
        ).run()
    }

    /// Whether the customer's message is the latest one between the two sides.
    static func awaitsReply(_ conversation: String, on sql: any SQLDatabase) async throws -> Bool {
        let row = try await sql.raw(
            """
            SELECT direction FROM messages WHERE conversation_id = \(bind: conversation)
                AND (direction = 'incoming' OR (direction = 'outgoing' AND author_kind = 'agent'))
            ORDER BY seq DESC LIMIT 1
            """
        ).first()
        return try row.map { try $0.string("direction") == "incoming" } ?? false
    }

    /// The policy's calendar, or 24/7 when it has none (or no policy applies).
    static func calendar(for policy: SLAPolicy?, on sql: any SQLDatabase) async throws -> BusinessCalendar {
        guard let id = policy?.calendarId, let record = try await loadBusinessCalendar(id: id.rawValue, on: sql) else { return .alwaysOpen }
        return record.calendar
    }
}
