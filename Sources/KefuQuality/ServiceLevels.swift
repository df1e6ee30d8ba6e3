import Foundation
import KefuCore
import KefuStore

/// What a supervisor or admin writes for a policy; checked before anything is stored.
public struct SLAPolicyInput: Sendable, Equatable, Codable {
    public var name: String
    public var match: SLAMatch
    public var firstResponseSeconds: Int?
    public var nextResponseSeconds: Int?
    public var resolutionSeconds: Int?
    public var calendarId: BusinessCalendarID?
    public var warnBeforeSeconds: Int?
    public var onBreach: SLABreachActions?
    public var position: Int?
    public var enabled: Bool?

    public init(
        name: String, match: SLAMatch = SLAMatch(), firstResponseSeconds: Int? = nil, nextResponseSeconds: Int? = nil,
        resolutionSeconds: Int? = nil, calendarId: BusinessCalendarID? = nil, warnBeforeSeconds: Int? = nil, onBreach: SLABreachActions? = nil,
        position: Int? = nil, enabled: Bool? = nil
    ) {
        self.name = name
        self.match = match
        self.firstResponseSeconds = firstResponseSeconds
        self.nextResponseSeconds = nextResponseSeconds
        self.resolutionSeconds = resolutionSeconds
        self.calendarId = calendarId
        self.warnBeforeSeconds = warnBeforeSeconds
        self.onBreach = onBreach
        self.position = position
        self.enabled = enabled
    }

    enum CodingKeys: String, CodingKey {
        case name, match, firstResponseSeconds, nextResponseSeconds, resolutionSeconds, calendarId, warnBeforeSeconds, onBreach, position, enabled
    }

    /// Everything but the name may be left out (or null): it matches anything, with no warning.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        match = try container.decodeIfPresent(SLAMatch.self, forKey: .match) ?? SLAMatch()
        firstResponseSeconds = try container.decodeIfPresent(Int.self, forKey: .firstResponseSeconds)
        nextResponseSeconds = try container.decodeIfPresent(Int.self, forKey: .nextResponseSeconds)
        resolutionSeconds = try container.decodeIfPresent(Int.self, forKey: .resolutionSeconds)
        calendarId = try container.decodeIfPresent(BusinessCalendarID.self, forKey: .calendarId)
        warnBeforeSeconds = try container.decodeIfPresent(Int.self, forKey: .warnBeforeSeconds)
        onBreach = try container.decodeIfPresent(SLABreachActions.self, forKey: .onBreach)
        position = try container.decodeIfPresent(Int.self, forKey: .position)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
    }
}

/// What an admin writes for a business calendar.
public struct BusinessCalendarInput: Sendable, Equatable, Codable {
    public var name: String
    public var timeZone: String
    /// Nil: around the clock.
    public var periods: [BusinessPeriod]?
    public var holidays: [ImportedHoliday]?

    public init(name: String, timeZone: String, periods: [BusinessPeriod]?, holidays: [ImportedHoliday]? = nil) {
        self.name = name
        self.timeZone = timeZone
        self.periods = periods
        self.holidays = holidays
    }
}

/// A conversation's targets as agents and the API show them.
public struct ResponseTargetState: Sendable {
    public var timers: [SLATimer]
    public var events: [SLAEventRecord]
}

/// Response-target policies and business calendars: validated, audited, and the answer to "how
/// soon will they reply?" that customers are told from the same policy.
public struct ServiceLevels: Sendable {
    public typealias Repositories = ServiceLevelRepository & InboxRepository
    let store: any Repositories
    let now: @Sendable () -> Date

    public init(store: any Repositories, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
    }

    public static let maxHolidays = HolidayCalendarImport.maxDays
    public static let maxPeriods = 70

    // MARK: - Policies

    public func policies() async throws -> [SLAPolicy] { try await store.slaPolicies() }

    public func policy(_ id: SLAPolicyID) async throws -> SLAPolicy {
        guard let policy = try await store.slaPolicy(id: id) else { throw QualityError.notFound("policy") }
        return policy
    }

    /// Creates (`id` nil) or replaces a policy.
    public func savePolicy(_ input: SLAPolicyInput, id: SLAPolicyID?, by actor: ActionSource) async throws -> SLAPolicy {
        var problems = ValidationFailure()
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        // Lengths count what was sent, as the API's schema does.
        if input.name.unicodeScalars.count > 100 { problems.add("name", .tooLong(max: 100)) } else if name.isEmpty { problems.add("name", .required) }
        var match = input.match
        if let label = match.label {
            if let normalized = ConversationLabel.normalize(label), label.unicodeScalars.count <= 40 { match.label = normalized } else { problems.add("match.label", .invalid) }
        }
        var targets: [SLAMetric: Int] = [:]
        for (metric, seconds) in [(SLAMetric.firstResponse, input.firstResponseSeconds), (.nextResponse, input.nextResponseSeconds), (.resolution, input.resolutionSeconds)] {
            guard let seconds else { continue }
            if !(1...SLAPolicy.maxTargetSeconds).contains(seconds) { problems.add(Self.field(metric), .rule("out_of_range")) } else { targets[metric] = seconds }
        }
        if targets.isEmpty, problems.fields.isEmpty { problems.add("firstResponseSeconds", .required) }
        let warn = input.warnBeforeSeconds ?? 0
        if !(0...SLAPolicy.maxTargetSeconds).contains(warn) { problems.add("warnBeforeSeconds", .rule("out_of_range")) }
        let position = input.position ?? 0
        if !(0...10_000).contains(position) { problems.add("position", .rule("out_of_range")) }
        if let raise = input.onBreach?.raisePriority, raise == .none { problems.add("onBreach.raisePriority", .invalid) }
        guard problems.fields.isEmpty else { throw QualityError.invalid(problems) }
        if let id, try await store.slaPolicy(id: id) == nil { throw QualityError.notFound("policy") }
        let policy = SLAPolicy(
            id: id ?? .generate(), name: Self.oneLine(name), match: match, targets: targets, calendarId: input.calendarId, warnBeforeSeconds: warn,
            onBreach: input.onBreach ?? SLABreachActions(), position: position, enabled: input.enabled ?? true)
        do {
            try await store.saveSLAPolicy(
                policy, audit: actor.audit(id == nil ? "sla_policy.created" : "sla_policy.updated", subjectKind: "sla_policy", subjectId: policy.id.rawValue))
        } catch StoreError.notFound(let what) {
            throw QualityError.invalid(ValidationFailure(what == "calendar" ? "calendarId" : "match.inboxId", .rule("not_found")))
        }
        return policy
    }

    public func deletePolicy(_ id: SLAPolicyID, by actor: ActionSource) async throws {
        guard try await store.deleteSLAPolicy(id: id, audit: actor.audit("sla_policy.deleted", subjectKind: "sla_policy", subjectId: id.rawValue))
        else { throw QualityError.notFound("policy") }
    }

    /// Names are one line of text: line breaks and other controls become spaces (a holiday
    /// name with a line break would read as a second holiday in the console's list), NUL too.
    static func oneLine(_ text: String) -> String {
        let scalars = text.unicodeScalars.map { scalar -> Character in
            CharacterSet.controlCharacters.contains(scalar) || CharacterSet.newlines.contains(scalar) ? " " : Character(scalar)
        }
        return String(scalars).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func field(_ metric: SLAMetric) -> String {
        switch metric {
        case .firstResponse: "firstResponseSeconds"
        case .nextResponse: "nextResponseSeconds"
        case .resolution: "resolutionSeconds"
        }
    }

    // MARK: - Calendars

    public func calendars() async throws -> [BusinessCalendarRecord] { try await store.businessCalendars() }

    public func calendar(_ id: BusinessCalendarID) async throws -> BusinessCalendarRecord {
        guard let calendar = try await store.businessCalendar(id: id) else { throw QualityError.notFound("calendar") }
        return calendar
    }

    public func saveCalendar(_ input: BusinessCalendarInput, id: BusinessCalendarID?, by actor: ActionSource) async throws -> BusinessCalendarRecord {
        var problems = ValidationFailure()
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if input.name.unicodeScalars.count > 100 { problems.add("name", .tooLong(max: 100)) } else if name.isEmpty { problems.add("name", .required) }
        if !(TimeZone.knownTimeZoneIdentifiers.contains(input.timeZone) || input.timeZone == "UTC") { problems.add("timeZone", .rule("unknown_time_zone")) }
        if let periods = input.periods {
            if periods.count > Self.maxPeriods { problems.add("periods", .rule("too_many")) }
            if periods.contains(where: { $0.problem != nil }) { problems.add("periods", .invalid) }
        }
        let holidays = input.holidays ?? []
        if holidays.count > Self.maxHolidays { problems.add("holidays", .rule("too_many")) }
        if holidays.contains(where: { $0.name.unicodeScalars.count > 200 }) { problems.add("holidays", .invalid) }
        guard problems.fields.isEmpty else { throw QualityError.invalid(problems) }
        var existing: BusinessCalendarRecord?
        if let id {
            guard let found = try await store.businessCalendar(id: id) else { throw QualityError.notFound("calendar") }
            existing = found
        }
        var unique: [CalendarDate: ImportedHoliday] = [:]
        for holiday in holidays where unique[holiday.date] == nil {
            unique[holiday.date] = ImportedHoliday(date: holiday.date, name: Self.oneLine(holiday.name))
        }
        let record = BusinessCalendarRecord(
            id: id ?? .generate(), name: Self.oneLine(name), timeZone: input.timeZone, periods: input.periods,
            holidays: unique.values.sorted { $0.date < $1.date }, createdAt: existing?.createdAt ?? now(), updatedAt: now())
        try await store.saveBusinessCalendar(
            record, audit: actor.audit(id == nil ? "calendar.created" : "calendar.updated", subjectKind: "business_calendar", subjectId: record.id.rawValue))
        return try await calendar(record.id)
    }

    public func deleteCalendar(_ id: BusinessCalendarID, by actor: ActionSource) async throws {
        do {
            guard try await store.deleteBusinessCalendar(id: id, audit: actor.audit("calendar.deleted", subjectKind: "business_calendar", subjectId: id.rawValue))
            else { throw QualityError.notFound("calendar") }
        } catch StoreError.conflict {
            throw QualityError.conflict("calendar")
        }
    }

    /// Reads an uploaded iCalendar file into holidays for review; nothing is stored.
    public func previewHolidays(_ ics: String) throws -> [ImportedHoliday] {
        let calendar = BusinessCalendar.alwaysOpen
        let today = calendar.localDate(of: now()) ?? CalendarDate(year: 2026, month: 1, day: 1)!
        // Repeating events are expanded to the end of next year.
        let until = CalendarDate(year: min(9999, today.year + 1), month: 12, day: 31) ?? today
        do {
            return try HolidayCalendarImport.holidays(from: ics, until: until).map { ImportedHoliday(date: $0.date, name: Self.oneLine($0.name)) }
        } catch {
            throw QualityError.holidayImport(error)
        }
    }
}
