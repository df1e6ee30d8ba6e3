import Foundation
import KefuCore
import KefuQuality

/// The admin page's rows and forms for policies and calendars, in the agent's language.
struct ServiceLevelViews {
    let page: ConsolePage
    let calendars: [BusinessCalendarRecord]
    let inboxes: [Inbox]

    func words(_ seconds: Int?) -> String {
        seconds.map { ResponseTimeWords.duration($0, locale: page.locale) } ?? "—"
    }

    func policyRow(_ policy: SLAPolicy) -> [String: Any] {
        var covers: [String] = []
        if let channel = policy.match.channel { covers.append(page.t("inbox_kind_\(channel.rawValue)")) }
        if let inbox = policy.match.inboxId { covers.append(inboxes.first { $0.id == inbox }?.name ?? inbox.rawValue) }
        if let priority = policy.match.priority { covers.append("\(page.t("priority")): \(page.t("priority_\(priority.rawValue)"))") }
        if let label = policy.match.label { covers.append("#\(label)") }
        var onBreach: [String] = []
        if let raise = policy.onBreach.raisePriority { onBreach.append("\(page.t("sla_raise_priority")): \(page.t("priority_\(raise.rawValue)"))") }
        if policy.onBreach.reassign { onBreach.append(page.t("sla_reassign")) }
        return [
            "id": policy.id.rawValue, "name": policy.name, "covers": covers.isEmpty ? page.t("sla_covers_all") : covers.joined(separator: " · "),
            "first": words(policy.targets[.firstResponse]), "next": words(policy.targets[.nextResponse]),
            "resolution": words(policy.targets[.resolution]),
            "calendar": policy.calendarId.flatMap { id in calendars.first { $0.id == id }?.name } ?? page.t("sla_always_open"),
            "on_breach": onBreach.joined(separator: " · "), "enabled": policy.enabled,
        ]
    }

    func calendarRow(_ calendar: BusinessCalendarRecord) -> [String: Any] {
        [
            "id": calendar.id.rawValue, "name": calendar.name, "zone": calendar.timeZone,
            "hours": calendar.periods.map { hoursSummary($0) } ?? page.t("sla_always_open"), "holidays": calendar.holidays.count,
        ]
    }

    /// "Mon–Fri 09:00–18:00 · Sat 10:00–14:00": runs of days with the same hours share a line.
    func hoursSummary(_ periods: [BusinessPeriod]) -> String {
        let byDay = (1...7).map { day in
            periods.filter { $0.weekday == day }.sorted { $0.start < $1.start }
                .map { "\(BusinessPeriod.clock($0.start))–\(BusinessPeriod.clock($0.end))" }.joined(separator: ", ")
        }
        var parts: [String] = []
        var day = 0
        while day < 7 {
            var last = day
            while last + 1 < 7, byDay[last + 1] == byDay[day] { last += 1 }
            if !byDay[day].isEmpty {
                let days = last == day ? page.t("weekday_\(day + 1)") : "\(page.t("weekday_\(day + 1)"))–\(page.t("weekday_\(last + 1)"))"
                parts.append("\(days) \(byDay[day])")
            }
            day = last + 1
        }
        return parts.isEmpty ? "—" : parts.joined(separator: " · ")
    }

    static func minutes(_ seconds: Int?) -> String {
        guard let seconds else { return "" }
        return seconds % 60 == 0 ? String(seconds / 60) : String(format: "%.2f", Double(seconds) / 60)
    }

    func policyForm(_ policy: SLAPolicy?) -> [String: Any] {
        let match = policy?.match ?? SLAMatch()
        return [
            "id": policy?.id.rawValue ?? "", "is_new": policy == nil, "name": policy?.name ?? "",
            "channels": [["value": "", "label": page.t("sla_any"), "selected": match.channel == nil]]
                + InboxKind.allCases.map { ["value": $0.rawValue, "label": page.t("inbox_kind_\($0.rawValue)"), "selected": match.channel == $0] },
            "inboxes": [["value": "", "label": page.t("sla_any"), "selected": match.inboxId == nil]]
                + inboxes.map { ["value": $0.id.rawValue, "label": $0.name, "selected": match.inboxId == $0.id] },
            "priorities": [["value": "", "label": page.t("sla_any"), "selected": match.priority == nil]]
                + ConversationPriority.allCases.map { ["value": $0.rawValue, "label": page.t("priority_\($0.rawValue)"), "selected": match.priority == $0] },
            "label": match.label ?? "",
            "first_minutes": Self.minutes(policy?.targets[.firstResponse]), "next_minutes": Self.minutes(policy?.targets[.nextResponse]),
            "resolution_minutes": Self.minutes(policy?.targets[.resolution]), "warn_minutes": Self.minutes(policy?.warnBeforeSeconds),
            "calendars": [["value": "", "label": page.t("sla_always_open"), "selected": policy?.calendarId == nil]]
                + calendars.map { ["value": $0.id.rawValue, "label": $0.name, "selected": policy?.calendarId == $0.id] },
            "raises": [["value": "", "label": page.t("sla_no_raise"), "selected": policy?.onBreach.raisePriority == nil]]
                + [ConversationPriority.low, .medium, .high, .urgent].map {
                    ["value": $0.rawValue, "label": page.t("priority_\($0.rawValue)"), "selected": policy?.onBreach.raisePriority == $0]
                },
            "reassign": policy?.onBreach.reassign ?? false, "position": policy?.position ?? 0, "enabled": policy?.enabled ?? true,
        ]
    }

    func calendarForm(_ calendar: BusinessCalendarRecord?, preview: [ImportedHoliday]?) -> [String: Any] {
        let periods = calendar?.periods ?? (1...5).map { BusinessPeriod(weekday: $0, start: 540, end: 1080) }
        let days: [[String: Any]] = (1...7).map { weekday in
            let mine = periods.filter { $0.weekday == weekday }.sorted { $0.start < $1.start }
            return [
                "weekday": weekday, "label": page.t("weekday_\(weekday)"),
                "slots": (1...2).map { slot -> [String: Any] in
                    let period = mine.count >= slot ? mine[slot - 1] : nil
                    return [
                        "slot": slot, "start": period.map { BusinessPeriod.clock($0.start) } ?? "",
                        "end": period.map { $0.end == 1440 ? "00:00" : BusinessPeriod.clock($0.end) } ?? "",
                    ]
                },
            ]
        }
        var values: [String: Any] = [
            "id": calendar?.id.rawValue ?? "", "is_new": calendar == nil, "name": calendar?.name ?? "",
            "time_zone": calendar?.timeZone ?? "Asia/Shanghai", "always_open": calendar != nil && calendar?.periods == nil, "days": days,
            "holidays": (calendar?.holidays ?? []).map { "\($0.date) \($0.name)" }.joined(separator: "\n"),
            "zones": ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "Europe/Berlin", "America/New_York", "UTC"],
        ]
        if let preview {
            let known = Set(calendar?.holidays.map(\.date) ?? [])
            values["preview"] = preview.map { holiday -> [String: Any] in
                let workday = HolidayReview.looksLikeWorkday(holiday.name)
                return [
                    "date": holiday.date.description, "name": holiday.name, "keep": !workday && !known.contains(holiday.date), "workday": workday,
                    "known": known.contains(holiday.date),
                ]
            }
            values["has_preview"] = true
        }
        return values
    }
}
