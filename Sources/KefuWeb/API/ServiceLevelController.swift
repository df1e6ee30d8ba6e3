import Foundation
import Hummingbird
import KefuCore
import KefuQuality
import KefuStore

/// `/api/v1/sla/…`: response-target policies and business calendars (supervisors read, admins
/// write), a conversation's timers and log, and each agent's notifications.
struct ServiceLevelController {
    let levels: ServiceLevels
    let store: any ServiceLevelRepository & ConversationRepository
    let limits: BodyLimits

    struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
        let items: [Item]
    }

    struct PolicyView: Encodable, Sendable {
        let id: SLAPolicyID
        let name: String
        let match: SLAMatch
        let firstResponseSeconds: Int?
        let nextResponseSeconds: Int?
        let resolutionSeconds: Int?
        let calendarId: BusinessCalendarID?
        let warnBeforeSeconds: Int
        let onBreach: SLABreachActions
        let position: Int
        let enabled: Bool

        init(_ policy: SLAPolicy) {
            id = policy.id
            name = policy.name
            match = policy.match
            firstResponseSeconds = policy.targets[.firstResponse]
            nextResponseSeconds = policy.targets[.nextResponse]
            resolutionSeconds = policy.targets[.resolution]
            calendarId = policy.calendarId
            warnBeforeSeconds = policy.warnBeforeSeconds
            onBreach = policy.onBreach
            position = policy.position
            enabled = policy.enabled
        }
    }

    struct CalendarView: Encodable, Sendable {
        let id: BusinessCalendarID
        let name: String
        let timeZone: String
        let periods: [BusinessPeriod]?
        let holidays: [ImportedHoliday]
        let createdAt: Date
        let updatedAt: Date

        init(_ record: BusinessCalendarRecord) {
            id = record.id
            name = record.name
            timeZone = record.timeZone
            periods = record.periods
            holidays = record.holidays
            createdAt = record.createdAt
            updatedAt = record.updatedAt
        }
    }

    struct PreviewBody: Decodable {
        let ics: String
    }

    struct PreviewItem: Encodable, Sendable {
        let date: CalendarDate
        let name: String
        /// The name reads like a make-up working day: left out unless the reviewer keeps it.
        let looksLikeWorkday: Bool
    }

    struct TimerView: Encodable, Sendable {
        let metric: SLAMetric
        let policyId: SLAPolicyID
        let targetSeconds: Int
        let state: String
        let startedAt: Date
        let dueAt: Date?
        let breachedAt: Date?
        let consumedSeconds: Int

        init(_ timer: SLATimer) {
            metric = timer.metric
            policyId = timer.policyId
            targetSeconds = timer.target
            switch timer.phase {
            case .running: state = "running"
            case .paused: state = "paused"
            case .stopped(_, let met): state = met ? "met" : "cancelled"
            }
            startedAt = timer.startedAt
            dueAt = timer.dueAt
            breachedAt = timer.breachedAt
            consumedSeconds = timer.consumed
        }
    }

    struct EventView: Encodable, Sendable {
        let metric: SLAMetric
        let kind: SLAEvent.Kind
        let at: Date
        let policyId: SLAPolicyID
        let targetSeconds: Int
        let elapsedSeconds: Int
    }

    struct StateView: Encodable, Sendable {
        let timers: [TimerView]
        let events: [EventView]
    }

    struct NotificationView: Encodable, Sendable {
        let id: String
        let kind: AgentNotification.Kind
        let conversationId: ConversationID?
        let detail: [String: String]
        let createdAt: Date
        let readAt: Date?
    }

    struct NotificationsResponse: Encodable, Sendable {
        let items: [NotificationView]
        let unread: Int
    }

    struct ReadBody: Decodable {
        /// RFC 3339, as every time the API writes.
        let upTo: String?

        func instant() throws -> Date {
            guard let upTo else { return Date() }
            let plain = ISO8601DateFormatter()
            let fractional = ISO8601DateFormatter()
            fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            guard let date = plain.date(from: upTo) ?? fractional.date(from: upTo) else { throw APIError.validation("upTo", .invalid) }
            return date
        }
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("sla/policies", role: .supervisor) { _, _ in
            JSONResponse(ListResponse(items: try await levels.policies().map(PolicyView.init)))
        }
        group.post("sla/policies", role: .admin) { request, context in
            let input = try await request.decodeJSON(SLAPolicyInput.self, limit: limits.small)
            return JSONResponse(PolicyView(try await levels.savePolicy(input, id: nil, by: context.source)), status: .created)
        }
        group.get("sla/policies/{id}", role: .supervisor) { _, context in
            JSONResponse(PolicyView(try await levels.policy(try context.parameters.id("id", as: SLAPolicyID.self, thing: "policy"))))
        }
        group.put("sla/policies/{id}", role: .admin) { request, context in
            let id = try context.parameters.id("id", as: SLAPolicyID.self, thing: "policy")
            let input = try await request.decodeJSON(SLAPolicyInput.self, limit: limits.small)
            return JSONResponse(PolicyView(try await levels.savePolicy(input, id: id, by: context.source)))
        }
        group.delete("sla/policies/{id}", role: .admin) { _, context in
            try await levels.deletePolicy(try context.parameters.id("id", as: SLAPolicyID.self, thing: "policy"), by: context.source)
            return Response(status: .noContent)
        }

        group.get("sla/calendars", role: .supervisor) { _, _ in
            JSONResponse(ListResponse(items: try await levels.calendars().map(CalendarView.init)))
        }
        group.post("sla/calendars", role: .admin) { request, context in
            let input = try await request.decodeJSON(BusinessCalendarInput.self, limit: limits.json)
            return JSONResponse(CalendarView(try await levels.saveCalendar(input, id: nil, by: context.source)), status: .created)
        }
        group.post("sla/calendars/holiday-preview", role: .admin) { request, _ in
            let body = try await request.decodeJSON(PreviewBody.self, limit: limits.json)
            let items = try levels.previewHolidays(body.ics).map {
                PreviewItem(date: $0.date, name: $0.name, looksLikeWorkday: HolidayReview.looksLikeWorkday($0.name))
            }
            return JSONResponse(ListResponse(items: items))
        }
        group.get("sla/calendars/{id}", role: .supervisor) { _, context in
            JSONResponse(CalendarView(try await levels.calendar(try context.parameters.id("id", as: BusinessCalendarID.self, thing: "calendar"))))
        }
        group.put("sla/calendars/{id}", role: .admin) { request, context in
            let id = try context.parameters.id("id", as: BusinessCalendarID.self, thing: "calendar")
            let input = try await request.decodeJSON(BusinessCalendarInput.self, limit: limits.json)
            return JSONResponse(CalendarView(try await levels.saveCalendar(input, id: id, by: context.source)))
        }
        group.delete("sla/calendars/{id}", role: .admin) { _, context in
            try await levels.deleteCalendar(try context.parameters.id("id", as: BusinessCalendarID.self, thing: "calendar"), by: context.source)
            return Response(status: .noContent)
        }

        group.get("conversations/{id}/sla") { _, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            guard try await store.conversation(id: id) != nil else { throw APIError.notFound("conversation") }
            let events = try await store.slaEvents(conversationId: id).map {
                EventView(
                    metric: $0.event.metric, kind: $0.event.kind, at: $0.event.at, policyId: $0.event.policyId, targetSeconds: $0.event.targetSeconds,
                    elapsedSeconds: $0.event.elapsedSeconds)
            }
            return JSONResponse(StateView(timers: try await store.slaTimers(conversationId: id).map(TimerView.init), events: events))
        }

        group.get("notifications") { request, context in
            let limit = try QueryReader(request: request).int("limit", range: 1...100).map(Int.init) ?? 50
            let items = try await store.agentNotifications(agentId: context.agent.id, limit: limit).map {
                NotificationView(id: $0.id, kind: $0.kind, conversationId: $0.conversationId, detail: $0.detail, createdAt: $0.createdAt, readAt: $0.readAt)
            }
            return JSONResponse(NotificationsResponse(items: items, unread: try await store.unreadNotificationCount(agentId: context.agent.id)))
        }
        group.post("notifications/read") { request, context in
            let body = try await request.decodeJSON(ReadBody.self, limit: limits.small, whenEmpty: ReadBody(upTo: nil))
            try await store.markNotificationsRead(agentId: context.agent.id, upTo: try body.instant())
            return Response(status: .noContent)
        }
    }
}
