import Foundation
import Hummingbird
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore

/// `/console/admin/sla`: response-target policies and business calendars, with holidays typed
/// in or read from an iCalendar file and reviewed before they are added (admins).
struct ConsoleServiceLevelsController {
    let levels: ServiceLevels
    let inboxes: any InboxRepository
    let resources: ConsoleResources
    let presence: any PresenceTracking

    static let path = "/console/admin/sla"

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("admin/sla") { request, context in
            try context.require(.admin)
            return try await page(request, context)
        }
        group.post("admin/sla/policies") { request, context in
            try context.require(.admin)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let id = form["id"].flatMap(SLAPolicyID.init(validating:))
            return try await attempt(request, context, editing: ["policy": form["id"] ?? "new"]) {
                if form["action"] == "delete", let id {
                    try await levels.deletePolicy(id, by: context.source)
                } else {
                    _ = try await levels.savePolicy(try Self.policyInput(form), id: id, by: context.source)
                }
            }
        }
        group.post("admin/sla/calendars") { request, context in
            try context.require(.admin)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let id = form["id"].flatMap(BusinessCalendarID.init(validating:))
            return try await attempt(request, context, editing: ["calendar": form["id"] ?? "new"]) {
                if form["action"] == "delete", let id {
                    try await levels.deleteCalendar(id, by: context.source)
                } else {
                    _ = try await levels.saveCalendar(try Self.calendarInput(form), id: id, by: context.source)
                }
            }
        }
        // An uploaded (or pasted) .ics: shown for review, nothing stored yet.
        group.post("admin/sla/calendars/{id}/preview") { request, context in
            try context.require(.admin)
            let id = try context.parameters.id("id", as: BusinessCalendarID.self, thing: "calendar")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken, limit: 3 << 20)
            do {
                let preview = try levels.previewHolidays(form["ics"] ?? "")
                return try await page(request, context, editing: ["calendar": id.rawValue], preview: preview)
            } catch QualityError.holidayImport(.malformed(let line)) {
                // The console can say where: the API's stable code cannot carry the line.
                let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
                var response = try await self.page(
                    request, context, editing: ["calendar": id.rawValue], error: page.t("sla_ics_malformed_line").replacingOccurrences(of: "{line}", with: String(line)))
                response.status = .badRequest
                return response
            } catch let failure as any DomainProblem {
                return try await failed(request, context, failure, editing: ["calendar": id.rawValue])
            }
        }
        // The reviewed days the admin kept, added to the calendar's holidays.
        group.post("admin/sla/calendars/{id}/holidays") { request, context in
            try context.require(.admin)
            let id = try context.parameters.id("id", as: BusinessCalendarID.self, thing: "calendar")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken, limit: 1 << 20)
            return try await attempt(request, context, editing: ["calendar": id.rawValue]) {
                let calendar = try await levels.calendar(id)
                var holidays = calendar.holidays
                let known = Set(holidays.map(\.date))
                for (key, value) in form.fields where key.hasPrefix("keep_") && value == "1" {
                    guard let date = CalendarDate(key.dropFirst(5)), !known.contains(date) else { continue }
                    holidays.append(ImportedHoliday(date: date, name: form["name_\(date)"] ?? ""))
                }
                _ = try await levels.saveCalendar(
                    BusinessCalendarInput(name: calendar.name, timeZone: calendar.timeZone, periods: calendar.periods, holidays: holidays), id: id,
                    by: context.source)
            }
        }
    }

    /// Runs a change and redirects, or shows the page again with the problem in words.
    private func attempt(
        _ request: Request, _ context: AuthenticatedContext, editing: [String: String], _ change: () async throws -> Void
    ) async throws -> Response {
        do {
            try await change()
        } catch let failure as any DomainProblem {
            return try await failed(request, context, failure, editing: editing)
        }
        return redirect("\(Self.path)?flash=saved")
    }

    private func failed(_ request: Request, _ context: AuthenticatedContext, _ failure: any DomainProblem, editing: [String: String]) async throws -> Response {
        var response = try await page(
            request, context, editing: editing, error: failure.problem.message(ConsolePage.locale(request, agent: context.agent)))
        response.status = failure.problem.status
        return response
    }

    // MARK: - Forms

    /// Minutes in the form, seconds in the policy; blank means no target.
    static func minutes(_ form: ConsoleForm, _ name: String) throws -> Int? {
        guard let raw = form[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let value = Double(raw), value.isFinite, value >= 0, value <= Double(SLAPolicy.maxTargetSeconds) / 60 else {
            throw QualityError.invalid(ValidationFailure(name, .rule("out_of_range")))
        }
        return Int((value * 60).rounded())
    }

    static func policyInput(_ form: ConsoleForm) throws -> SLAPolicyInput {
        let blank: (String) -> String? = { name in form[name].flatMap { $0.isEmpty ? nil : $0 } }
        return SLAPolicyInput(
            name: form["name"] ?? "",
            match: SLAMatch(
                channel: blank("channel").flatMap(InboxKind.init(rawValue:)), inboxId: blank("inbox_id").flatMap(InboxID.init(validating:)),
                priority: blank("priority").flatMap(ConversationPriority.init(rawValue:)), label: blank("label")),
            firstResponseSeconds: try minutes(form, "first_minutes"), nextResponseSeconds: try minutes(form, "next_minutes"),
            resolutionSeconds: try minutes(form, "resolution_minutes"), calendarId: blank("calendar_id").flatMap(BusinessCalendarID.init(validating:)),
            warnBeforeSeconds: try minutes(form, "warn_minutes") ?? 0,
            onBreach: SLABreachActions(raisePriority: blank("raise_priority").flatMap(ConversationPriority.init(rawValue:)), reassign: form["reassign"] == "1"),
            position: Int(form["position"] ?? "") ?? 0, enabled: form["enabled"] == "1")
    }

    static func calendarInput(_ form: ConsoleForm) throws -> BusinessCalendarInput {
        var periods: [BusinessPeriod]?
        if form["always_open"] != "1" {
            var weekly: [BusinessPeriod] = []
            for weekday in 1...7 {
                for slot in 1...2 {
                    let start = form["p\(weekday)_\(slot)_start"] ?? "", end = form["p\(weekday)_\(slot)_end"] ?? ""
                    guard !start.isEmpty || !end.isEmpty else { continue }
                    // A browser's time input never says 24:00: an end of 00:00 means midnight.
                    guard let from = BusinessPeriod.minutes(start), from < 1440, let to = BusinessPeriod.minutes(end == "00:00" ? "24:00" : end) else {
                        throw QualityError.invalid(ValidationFailure("periods", .invalid))
                    }
                    weekly.append(BusinessPeriod(weekday: weekday, start: from, end: to))
                }
            }
            periods = weekly
        }
        var holidays: [ImportedHoliday] = []
        for line in (form["holidays"] ?? "").split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            guard let date = CalendarDate(parts[0]) else { throw QualityError.invalid(ValidationFailure("holidays", .invalid)) }
            holidays.append(ImportedHoliday(date: date, name: parts.count > 1 ? String(parts[1]) : ""))
        }
        return BusinessCalendarInput(name: form["name"] ?? "", timeZone: (form["time_zone"] ?? "").trimmingCharacters(in: .whitespaces), periods: periods, holidays: holidays)
    }

    // MARK: - Page

    func page(
        _ request: Request, _ context: AuthenticatedContext, editing: [String: String] = [:], preview: [ImportedHoliday]? = nil, error: String? = nil
    ) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("sla_targets"), request: request, context: context, nav: "admin")
        values["tab_sla"] = true
        let query = QueryReader(request: request)
        let policies = try await levels.policies()
        let calendars = try await levels.calendars()
        let inboxes = try await inboxes.listInboxes()
        let views = ServiceLevelViews(page: page, calendars: calendars, inboxes: inboxes)
        values["policies"] = policies.map(views.policyRow)
        values["calendars"] = calendars.map(views.calendarRow)
        let policyChoice = editing["policy"] ?? query.string("policy")
        if let policyChoice {
            values["policy_form"] = views.policyForm(policies.first { $0.id.rawValue == policyChoice })
        }
        let calendarChoice = editing["calendar"] ?? query.string("calendar")
        if let calendarChoice {
            values["calendar_form"] = views.calendarForm(calendars.first { $0.id.rawValue == calendarChoice }, preview: preview)
        }
        if let error { values["form_error"] = error }
        return try resources.render("service-levels", values)
    }
}
