import Foundation
import KefuCore
import SQLKit

/// Due timers are leased per row (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on
/// SQLite) and fired in one transaction that holds the conversation's row lock and checks the
/// lease is still its own: a warning or breach, its actions and its notifications happen once,
/// even with several instances, and a dead instance's lease runs out for another to take.
extension SQLStore {
    public func claimDueSLATimers(now: Date, owner: String, lease: TimeInterval, limit: Int) async throws -> [ConversationID] {
        let at = Clock.millis(now)
        let until = Clock.millis(now.addingTimeInterval(lease))
        let lock: SQLQueryString = flavor == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        // Most ticks find nothing: a read says so without taking the writer.
        let anything = try await database.read { sql in
            try await sql.raw("SELECT conversation_id FROM conversation_sla_timers WHERE fire_at <= \(bind: at) LIMIT 1").first() != nil
        }
        guard anything else { return [] }
        return try await database.write { sql in
            let rows = try await sql.raw(
                """
                SELECT conversation_id, metric FROM conversation_sla_timers
                WHERE fire_at <= \(bind: at) AND (lease_until IS NULL OR lease_until < \(bind: at))
                ORDER BY fire_at LIMIT \(bind: limit)\(lock)
                """
            ).all()
            var claimed: [ConversationID] = []
            for row in rows {
                let conversation = try row.string("conversation_id")
                try await sql.raw(
                    """
                    UPDATE conversation_sla_timers SET lease_owner = \(bind: owner), lease_until = \(bind: until)
                    WHERE conversation_id = \(bind: conversation) AND metric = \(bind: try row.string("metric"))
                    """
                ).run()
                let id = ConversationID(rawValue: conversation)
                if !claimed.contains(id) { claimed.append(id) }
            }
            return claimed
        }
    }

    public func fireSLATimers(conversationId: ConversationID, owner: String, now: Date, assign: AssignmentChoice?) async throws -> SLAFiring? {
        let at = Clock.millis(now)
        let id = conversationId.rawValue
        let flavor = self.flavor
        return try await database.write { sql in
            if assign != nil { try await Self.takeAssignmentTurn(flavor, on: sql) }
            // The conversation's row lock orders this after any message or change in flight.
            guard try await Self.lockConversation(id, on: sql) != nil,
                try await sql.raw(
                    """
                    SELECT metric FROM conversation_sla_timers
                    WHERE conversation_id = \(bind: id) AND lease_owner = \(bind: owner) AND lease_until >= \(bind: at) LIMIT 1
                    """
                ).first() != nil
            else { return nil }
            let before = try await Self.loadSLATimers(id, on: sql)
            let policyIds = Set(before.map(\.policyId.rawValue))
            var policies: [SLAPolicyID: SLAPolicy] = [:]
            for policyId in policyIds { if let policy = try await Self.loadSLAPolicy(id: policyId, on: sql) { policies[policy.id] = policy } }
            let current = before.first(where: \.isActive).flatMap { policies[$0.policyId] }
            var clock = SLAClock(timers: before, calendar: try await Self.calendar(for: current, on: sql))
            clock.fire(at: now)
            try await Self.store(clock, before: before, conversation: id, policy: nil, at: at, on: sql)
            try await sql.raw(
                "UPDATE conversation_sla_timers SET lease_owner = NULL, lease_until = NULL WHERE conversation_id = \(bind: id) AND lease_owner = \(bind: owner)"
            ).run()
            guard !clock.events.isEmpty, var conversation = try await Self.loadConversation(id: id, on: sql) else { return nil }
            let noticed = conversation.assigneeId
            var history: [Message] = []
            for breach in clock.events where breach.kind == .breached {
                let actions = policies[breach.policyId]?.onBreach ?? SLABreachActions()
                history += try await act(on: actions, breach: breach, conversation: &conversation, assign: assign, at: at, on: sql)
            }
            let notified = try await notify(about: clock.events, conversation: conversation, assignees: [noticed, conversation.assigneeId], at: at, on: sql)
            return SLAFiring(conversation: conversation, events: clock.events, history: history, notified: notified)
        }
    }

    /// A breach's actions: raise the priority (never lower it), hand to the next agent with room.
    private func act(
        on actions: SLABreachActions, breach: SLAEvent, conversation: inout Conversation, assign: AssignmentChoice?, at: Int64,
        on sql: any SQLDatabase
    ) async throws -> [Message] {
        var fields: [String] = []
        var raised: ConversationPriority?
        if let priority = actions.raisePriority, Self.rank(priority) > Self.rank(conversation.priority) {
            try await sql.raw("UPDATE conversations SET priority = \(bind: priority.rawValue), updated_at = \(bind: at) WHERE id = \(bind: conversation.id.rawValue)").run()
            raised = priority
            fields.append("priority")
        }
        var history = [
            try await Self.insertMessage(.system(.slaBreached(metric: breach.metric, raisedTo: raised)), into: conversation.id, at: at, on: sql).message
        ]
        if actions.reassign, let assign, let choice = try await Self.choose(assign, for: conversation.id, on: sql),
            choice.agent != conversation.assigneeId
        {
            try await sql.raw(
                "UPDATE conversations SET assignee_id = \(bind: choice.agent.rawValue), updated_at = \(bind: at) WHERE id = \(bind: conversation.id.rawValue)"
            ).run()
            try await insertAudit(choice.audit, on: sql)
            fields.append("assignee")
            history.append(
                try await Self.insertMessage(.system(.changed(status: nil, assignee: .some(choice.agent))), into: conversation.id, at: at, on: sql).message)
        }
        if !fields.isEmpty {
            try await Self.journalConversationUpdate(conversation.id, inbox: conversation.inboxId, fields: fields, at: at, on: sql)
            if raised != nil { try await Self.advanceSLA(conversation.id.rawValue, after: .changed(reselect: true), at: at, on: sql) }
            conversation = try await Self.loadConversation(id: conversation.id.rawValue, on: sql) ?? conversation
        }
        return history
    }

    static func rank(_ priority: ConversationPriority) -> Int {
        ConversationPriority.allCases.firstIndex(of: priority) ?? 0
    }

    /// One console notification per event for the assignee(s) and every active supervisor and
    /// admin; theirs are also queued for mail unless they turned that off.
    private func notify(
        about events: [SLAEvent], conversation: Conversation, assignees: [AgentID?], at: Int64, on sql: any SQLDatabase
    ) async throws -> [AgentID] {
        var recipients = try await Self.supervisors(on: sql)
        for case let assignee? in assignees where !recipients.contains(where: { $0.0 == assignee }) { recipients.append((assignee, false)) }
        for event in events where event.kind == .warned || event.kind == .breached {
            let kind: AgentNotification.Kind = event.kind == .warned ? .slaWarning : .slaBreach
            let detail = String(
                decoding: try JSONEncoder.sorted.encode([
                    "metric": event.metric.rawValue, "number": String(conversation.number), "at": String(Clock.millis(event.at)),
                    "target": String(event.targetSeconds),
                ]), as: UTF8.self)
            for (agent, mail) in recipients {
                try await Self.insertNotification(kind, for: agent, conversation: conversation.id, detail: detail, mail: mail, at: at, on: sql)
            }
        }
        return recipients.map(\.0)
    }

    /// Active supervisors and admins, with whether each takes notifications by mail too.
    static func supervisors(on sql: any SQLDatabase) async throws -> [(AgentID, mail: Bool)] {
        try await sql.raw("SELECT id, notify_by_mail FROM agents WHERE role IN ('supervisor', 'admin') AND status = 'active' ORDER BY id").all()
            .map { (AgentID(rawValue: try $0.string("id")), try $0.bool("notify_by_mail")) }
    }

    /// One console notification; `mail` queues it for the notification mailer too.
    static func insertNotification(
        _ kind: AgentNotification.Kind, for agent: AgentID, conversation: ConversationID, detail: String, mail: Bool, at: Int64, on sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO agent_notifications (id, agent_id, kind, conversation_id, detail, mail_state, created_at)
            VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: agent.rawValue), \(bind: kind.rawValue), \(bind: conversation.rawValue),
                \(bind: detail), \(bind: mail ? "pending" : "none"), \(bind: at))
            """
        ).run()
    }

    // MARK: - Notifications

    static func notification(from row: any SQLRow) throws -> AgentNotification {
        AgentNotification(
            id: try row.string("id"), agentId: AgentID(rawValue: try row.string("agent_id")),
            kind: try row.enumValue("kind", as: AgentNotification.Kind.self),
            conversationId: try row.optionalString("conversation_id").map(ConversationID.init(rawValue:)),
            detail: (try? JSONDecoder().decode([String: String].self, from: Data(try row.string("detail").utf8))) ?? [:],
            createdAt: try row.date("created_at"), readAt: try row.optionalDate("read_at"))
    }

    public func agentNotifications(agentId: AgentID, limit: Int) async throws -> [AgentNotification] {
        try await database.read { sql in
            try await sql.raw(
                "SELECT * FROM agent_notifications WHERE agent_id = \(bind: agentId.rawValue) ORDER BY created_at DESC, id LIMIT \(bind: limit)"
            ).all().map(Self.notification(from:))
        }
    }

    public func unreadNotificationCount(agentId: AgentID) async throws -> Int {
        try await database.read { sql in
            try await sql.raw(
                "SELECT COUNT(*) AS n FROM agent_notifications WHERE agent_id = \(bind: agentId.rawValue) AND read_at IS NULL"
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    public func markNotificationsRead(agentId: AgentID, upTo: Date) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE agent_notifications SET read_at = \(bind: at)
                WHERE agent_id = \(bind: agentId.rawValue) AND read_at IS NULL AND created_at <= \(bind: Clock.millis(upTo))
                """
            ).run()
        }
    }

    public func notificationsToMail(limit: Int) async throws -> [AgentNotification] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM agent_notifications WHERE mail_state = 'pending' ORDER BY created_at, id LIMIT \(bind: limit)")
                .all().map(Self.notification(from:))
        }
    }

    public func notificationMail(agentId: AgentID) async throws -> Bool {
        try await database.read { sql in
            try await sql.raw("SELECT notify_by_mail FROM agents WHERE id = \(bind: agentId.rawValue)").first()?.bool("notify_by_mail") ?? false
        }
    }

    public func setNotificationMail(agentId: AgentID, _ enabled: Bool) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE agents SET notify_by_mail = \(bind: enabled) WHERE id = \(bind: agentId.rawValue)").run()
        }
    }

    public func markNotificationMailed(id: String) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE agent_notifications SET mail_state = 'queued' WHERE id = \(bind: id)").run()
        }
    }
}
