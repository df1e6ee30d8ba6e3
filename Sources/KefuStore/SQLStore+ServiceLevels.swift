import Foundation
import KefuCore
import SQLKit

/// Calendars, policies, each conversation's timers and log, and firing due timers under a lease.
extension SQLStore: ServiceLevelRepository {
    // MARK: - Calendars

    static func loadBusinessCalendar(id: String, on sql: any SQLDatabase) async throws -> BusinessCalendarRecord? {
        guard let row = try await sql.raw("SELECT * FROM business_calendars WHERE id = \(bind: id)").first() else { return nil }
        let holidays = try await sql.raw("SELECT day, name FROM business_holidays WHERE calendar_id = \(bind: id) ORDER BY day").all()
        return try businessCalendar(from: row, holidays: holidays)
    }

    static func businessCalendar(from row: any SQLRow, holidays: [any SQLRow]) throws -> BusinessCalendarRecord {
        let periods = try row.optionalString("periods").map { try JSONDecoder().decode([BusinessPeriod].self, from: Data($0.utf8)) }
        return BusinessCalendarRecord(
            id: BusinessCalendarID(rawValue: try row.string("id")), name: try row.string("name"), timeZone: try row.string("time_zone"),
            periods: periods,
            holidays: try holidays.compactMap { holiday in
                CalendarDate(try holiday.string("day")).map { ImportedHoliday(date: $0, name: (try? holiday.string("name")) ?? "") }
            },
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }

    public func businessCalendars() async throws -> [BusinessCalendarRecord] {
        try await database.read { sql in
            let rows = try await sql.raw("SELECT * FROM business_calendars ORDER BY name, id").all()
            let holidays = try await sql.raw("SELECT calendar_id, day, name FROM business_holidays ORDER BY day").all()
            var byCalendar: [String: [any SQLRow]] = [:]
            for holiday in holidays { byCalendar[try holiday.string("calendar_id"), default: []].append(holiday) }
            return try rows.map { try Self.businessCalendar(from: $0, holidays: byCalendar[try $0.string("id")] ?? []) }
        }
    }

    public func businessCalendar(id: BusinessCalendarID) async throws -> BusinessCalendarRecord? {
        try await database.read { sql in try await Self.loadBusinessCalendar(id: id.rawValue, on: sql) }
    }

    public func saveBusinessCalendar(_ calendar: BusinessCalendarRecord, audit: AuditEvent) async throws {
        let at = Clock.millis(now())
        let periods = try calendar.periods.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO business_calendars (id, name, time_zone, periods, created_at, updated_at)
                VALUES (\(bind: calendar.id.rawValue), \(bind: calendar.name), \(bind: calendar.timeZone), \(bind: periods), \(bind: at), \(bind: at))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone, periods = excluded.periods,
                    updated_at = excluded.updated_at
                """
            ).run()
            try await sql.raw("DELETE FROM business_holidays WHERE calendar_id = \(bind: calendar.id.rawValue)").run()
            for holiday in calendar.holidays {
                try await sql.raw(
                    """
                    INSERT INTO business_holidays (calendar_id, day, name) VALUES (\(bind: calendar.id.rawValue), \(bind: holiday.date.description),
                        \(bind: holiday.name)) ON CONFLICT (calendar_id, day) DO NOTHING
                    """
                ).run()
            }
            try await insertAudit(audit, on: sql)
        }
    }

    public func deleteBusinessCalendar(id: BusinessCalendarID, audit: AuditEvent) async throws -> Bool {
        try await database.write { sql in
            if try await sql.raw("SELECT id FROM sla_policies WHERE calendar_id = \(bind: id.rawValue) LIMIT 1").first() != nil {
                throw StoreError.conflict("calendar in use")
            }
            guard try await sql.raw("DELETE FROM business_calendars WHERE id = \(bind: id.rawValue) RETURNING id").first() != nil else { return false }
            try await insertAudit(audit, on: sql)
            return true
        }
    }

    // MARK: - Policies

    static func slaPolicy(from row: any SQLRow) throws -> SLAPolicy {
        var targets: [SLAMetric: Int] = [:]
        for metric in SLAMetric.allCases {
            if let seconds = try row.decode(column: "\(metric.rawValue)_seconds", as: Int?.self) { targets[metric] = seconds }
        }
        return SLAPolicy(
            id: SLAPolicyID(rawValue: try row.string("id")), name: try row.string("name"),
            match: SLAMatch(
                channel: try row.optionalString("channel").flatMap(InboxKind.init(rawValue:)),
                inboxId: try row.optionalString("inbox_id").map(InboxID.init(rawValue:)),
                priority: try row.optionalString("priority").flatMap(ConversationPriority.init(rawValue:)), label: try row.optionalString("label")),
            targets: targets, calendarId: try row.optionalString("calendar_id").map(BusinessCalendarID.init(rawValue:)),
            warnBeforeSeconds: try row.decode(column: "warn_before_seconds", as: Int.self),
            onBreach: SLABreachActions(
                raisePriority: try row.optionalString("raise_priority").flatMap(ConversationPriority.init(rawValue:)), reassign: try row.bool("reassign")),
            position: try row.decode(column: "position", as: Int.self), enabled: try row.bool("enabled"))
    }

    static func loadSLAPolicies(enabledOnly: Bool, on sql: any SQLDatabase) async throws -> [SLAPolicy] {
        let filter: SQLQueryString = enabledOnly ? "WHERE enabled = \(bind: true)" : ""
        return try await sql.raw("SELECT * FROM sla_policies \(filter) ORDER BY position, name, id").all().map(slaPolicy(from:))
    }

    static func loadSLAPolicy(id: String, on sql: any SQLDatabase) async throws -> SLAPolicy? {
        try await sql.raw("SELECT * FROM sla_policies WHERE id = \(bind: id)").first().map(slaPolicy(from:))
    }

    public func slaPolicies() async throws -> [SLAPolicy] {
        try await database.read { sql in try await Self.loadSLAPolicies(enabledOnly: false, on: sql) }
    }

    public func slaPolicy(id: SLAPolicyID) async throws -> SLAPolicy? {
        try await database.read { sql in try await Self.loadSLAPolicy(id: id.rawValue, on: sql) }
    }

    public func saveSLAPolicy(_ policy: SLAPolicy, audit: AuditEvent) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            if let calendar = policy.calendarId, try await Self.loadBusinessCalendar(id: calendar.rawValue, on: sql) == nil {
                throw StoreError.notFound("calendar")
            }
            if let inbox = policy.match.inboxId,
                try await sql.raw("SELECT id FROM inboxes WHERE id = \(bind: inbox.rawValue)").first() == nil
            {
                throw StoreError.notFound("inbox")
            }
            try await sql.raw(
                """
                INSERT INTO sla_policies (id, name, channel, inbox_id, priority, label, first_response_seconds, next_response_seconds,
                    resolution_seconds, calendar_id, warn_before_seconds, raise_priority, reassign, position, enabled, created_at, updated_at)
                VALUES (\(bind: policy.id.rawValue), \(bind: policy.name), \(bind: policy.match.channel?.rawValue),
                    \(bind: policy.match.inboxId?.rawValue), \(bind: policy.match.priority?.rawValue), \(bind: policy.match.label),
                    \(bind: policy.targets[.firstResponse]), \(bind: policy.targets[.nextResponse]), \(bind: policy.targets[.resolution]),
                    \(bind: policy.calendarId?.rawValue), \(bind: policy.warnBeforeSeconds), \(bind: policy.onBreach.raisePriority?.rawValue),
                    \(bind: policy.onBreach.reassign), \(bind: policy.position), \(bind: policy.enabled), \(bind: at), \(bind: at))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, channel = excluded.channel, inbox_id = excluded.inbox_id,
                    priority = excluded.priority, label = excluded.label, first_response_seconds = excluded.first_response_seconds,
                    next_response_seconds = excluded.next_response_seconds, resolution_seconds = excluded.resolution_seconds,
                    calendar_id = excluded.calendar_id, warn_before_seconds = excluded.warn_before_seconds,
                    raise_priority = excluded.raise_priority, reassign = excluded.reassign, position = excluded.position,
                    enabled = excluded.enabled, updated_at = excluded.updated_at
                """
            ).run()
            try await insertAudit(audit, on: sql)
        }
    }

    public func deleteSLAPolicy(id: SLAPolicyID, audit: AuditEvent) async throws -> Bool {
        try await database.write { sql in
            guard try await sql.raw("DELETE FROM sla_policies WHERE id = \(bind: id.rawValue) RETURNING id").first() != nil else { return false }
            try await insertAudit(audit, on: sql)
            return true
        }
    }

    // MARK: - A conversation's timers and log

    public func slaTimers(conversationId: ConversationID) async throws -> [SLATimer] {
        try await database.read { sql in try await Self.loadSLATimers(conversationId.rawValue, on: sql) }
            .sorted { $0.metric < $1.metric }
    }

    public func slaEvents(conversationId: ConversationID) async throws -> [SLAEventRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM sla_events WHERE conversation_id = \(bind: conversationId.rawValue) ORDER BY id").all().map {
                SLAEventRecord(
                    id: try $0.int64("id"), conversationId: conversationId,
                    event: SLAEvent(
                        metric: try $0.enumValue("metric", as: SLAMetric.self), kind: try $0.enumValue("kind", as: SLAEvent.Kind.self),
                        at: try $0.date("at"), policyId: SLAPolicyID(rawValue: try $0.string("policy_id")),
                        targetSeconds: try $0.decode(column: "target_seconds", as: Int.self),
                        elapsedSeconds: try $0.decode(column: "elapsed_seconds", as: Int.self)))
            }
        }
    }
}
