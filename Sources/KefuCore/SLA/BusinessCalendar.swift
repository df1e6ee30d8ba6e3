import Foundation

/// One stretch of working time that starts on a weekday: "Mon 09:00–18:00", or "Fri 22:00–02:00"
/// which runs past midnight into Saturday (an end at or before the start means the next day).
public struct BusinessPeriod: Sendable, Equatable, Hashable, Codable {
    /// ISO weekday the period starts on: 1 is Monday, 7 is Sunday.
    public var weekday: Int
    /// Minutes after local midnight, 0..<1440.
    public var start: Int
    /// Minutes after local midnight, 1...1440 (1440 is midnight at the end of the day).
    public var end: Int

    public init(weekday: Int, start: Int, end: Int) {
        self.weekday = weekday
        self.start = start
        self.end = end
    }

    /// Why the period cannot be used, or nil.
    public var problem: String? {
        guard (1...7).contains(weekday) else { return "weekday must be 1 (Monday) to 7 (Sunday)" }
        guard (0..<1440).contains(start), (1...1440).contains(end) else { return "times must be between 00:00 and 24:00" }
        guard start != end else { return "a period cannot start and end at the same time" }
        return nil
    }

    var crossesMidnight: Bool { end <= start }
    var minutes: Int { crossesMidnight ? 1440 - start + end : end - start }

    enum CodingKeys: String, CodingKey { case weekday, start, end }

    /// Times travel as "HH:MM" ("24:00" only as an end), as people write them.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        weekday = try container.decode(Int.self, forKey: .weekday)
        guard let start = Self.minutes(try container.decode(String.self, forKey: .start)), start < 1440,
            let end = Self.minutes(try container.decode(String.self, forKey: .end)), end > 0
        else { throw DecodingError.dataCorruptedError(forKey: .start, in: container, debugDescription: "times are HH:MM") }
        self.start = start
        self.end = end
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(weekday, forKey: .weekday)
        try container.encode(Self.clock(start), forKey: .start)
        try container.encode(Self.clock(end), forKey: .end)
    }

    /// "09:30" → 570; "24:00" → 1440; anything else → nil.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
            let hours = Int(parts[0]), let minutes = Int(parts[1]), parts.joined().allSatisfy({ $0.isASCII && $0.isNumber }),
            (0...24).contains(hours), (0..<60).contains(minutes), hours < 24 || minutes == 0
        else { return nil }
        return hours * 60 + minutes
    }

    public static func clock(_ minutes: Int) -> String {
        String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }
}

/// When time counts toward a response target: every second (24/7), or the weekly periods in
/// the calendar's own time zone minus its holidays. Pure arithmetic on instants; daylight-saving
/// changes follow the zone's rules (a wall time that does not exist moves forward by the gap; one
/// that happens twice means its first occurrence).
public struct BusinessCalendar: Sendable, Equatable {
    public enum Hours: Sendable, Equatable {
        case always
        case weekly([BusinessPeriod])
    }

    public var timeZone: TimeZone
    public var hours: Hours
    /// Whole local days without business time.
    public var holidays: Set<CalendarDate>

    public init(timeZone: TimeZone, hours: Hours, holidays: Set<CalendarDate> = []) {
        self.timeZone = timeZone
        self.hours = hours
        self.holidays = holidays
    }

    /// Every second counts: what a policy without a calendar uses.
    public static let alwaysOpen = BusinessCalendar(timeZone: TimeZone(identifier: "UTC")!, hours: .always)

    /// How far ahead to look for business time before saying there is none (a calendar whose
    /// every period falls on a holiday, or with no periods at all).
    static let searchDays = 4000

    /// The instant at which `seconds` of business time have passed after `start`; nil when the
    /// calendar has no business time left to count them in.
    public func adding(_ seconds: Int, to start: Date) -> Date? {
        if case .always = hours, holidays.isEmpty { return start.addingTimeInterval(TimeInterval(max(0, seconds))) }
        var remaining = Double(max(0, seconds))
        var result: Date?
        walkOpenIntervals(from: start) { interval in
            let usable = interval.end.timeIntervalSince(max(interval.start, start))
            guard usable > 0 else { return true }
            let from = max(interval.start, start)
            if remaining <= usable {
                result = from.addingTimeInterval(remaining)
                return false
            }
            remaining -= usable
            return true
        }
        return result
    }

    /// Business seconds between two instants (0 when `end` is not after `start`).
    public func businessSeconds(from start: Date, to end: Date) -> Int {
        guard end > start else { return 0 }
        if case .always = hours, holidays.isEmpty { return Int(end.timeIntervalSince(start)) }
        var total = 0.0
        walkOpenIntervals(from: start) { interval in
            guard interval.start < end else { return false }
            let from = max(interval.start, start)
            let to = min(interval.end, end)
            if to > from { total += to.timeIntervalSince(from) }
            return interval.end < end
        }
        return Int(total)
    }

    /// Whether `instant` is inside business time.
    public func isOpen(at instant: Date) -> Bool {
        var open = false
        walkOpenIntervals(from: instant) { interval in
            open = interval.start <= instant && instant < interval.end
            return false
        }
        return open
    }

    /// The next moment business time starts at or after `instant` (the instant itself when open).
    public func nextOpening(after instant: Date) -> Date? {
        var opening: Date?
        walkOpenIntervals(from: instant) { interval in
            opening = max(interval.start, instant)
            return false
        }
        return opening
    }

    // MARK: - Walking the calendar

    /// Calls `visit` with each open interval that ends after `start`, in order, merged where
    /// periods touch or overlap, until `visit` returns false or the search horizon is reached.
    func walkOpenIntervals(from start: Date, _ visit: (DateInterval) -> Bool) {
        // The day before: its overnight periods may still be running at `start`.
        guard var day = localDate(of: start.addingTimeInterval(-86_400)) else { return }
        var pending: DateInterval?
        for _ in 0..<Self.searchDays {
            for interval in openIntervals(startingOn: day) where interval.end > start {
                if var current = pending {
                    if interval.start <= current.end {
                        current.end = max(current.end, interval.end)
                        pending = current
                        continue
                    }
                    guard visit(current) else { return }
                }
                pending = interval
            }
            // Intervals of later days start no earlier than the next day's midnight minus nothing:
            // a pending interval that ends before that midnight cannot grow, so hand it over.
            guard let next = day.next else { return }
            if let current = pending, let midnight = instant(next, minute: 0), current.end < midnight {
                guard visit(current) else { return }
                pending = nil
            }
            day = next
        }
        if let current = pending { _ = visit(current) }
    }

    /// The open intervals of the periods that start on `day`, holidays cut out, in order.
    func openIntervals(startingOn day: CalendarDate) -> [DateInterval] {
        var raw: [DateInterval] = []
        switch hours {
        case .always:
            if let from = instant(day, minute: 0), let to = instant(day, minute: 1440), to > from { raw = [DateInterval(start: from, end: to)] }
        case .weekly(let periods):
            for period in periods where period.weekday == day.weekday && period.problem == nil {
                guard let from = instant(day, minute: period.start) else { continue }
                let endDay = period.crossesMidnight ? day.next : day
                guard let endDay, let to = instant(endDay, minute: period.end), to > from else { continue }
                raw.append(DateInterval(start: from, end: to))
            }
        }
        raw.sort { $0.start < $1.start }
        guard !holidays.isEmpty else { return raw }
        return raw.flatMap { cutHolidays(from: $0, startingOn: day) }
    }

    /// An interval minus the holiday days it touches (at most its own day and the next).
    private func cutHolidays(from interval: DateInterval, startingOn day: CalendarDate) -> [DateInterval] {
        var pieces = [interval]
        var days = [day]
        if let next = day.next { days.append(next) }
        for holiday in days where holidays.contains(holiday) {
            guard let from = instant(holiday, minute: 0), let to = instant(holiday, minute: 1440) else { continue }
            pieces = pieces.flatMap { piece -> [DateInterval] in
                var kept: [DateInterval] = []
                if piece.start < from { kept.append(DateInterval(start: piece.start, end: min(piece.end, from))) }
                if piece.end > to { kept.append(DateInterval(start: max(piece.start, to), end: piece.end)) }
                return kept.filter { $0.duration > 0 }
            }
        }
        return pieces
    }

    // MARK: - Wall time and instants

    /// The local day an instant falls on in this calendar's zone.
    public func localDate(of instant: Date) -> CalendarDate? {
        let local = instant.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: instant))
        let days = Int((local / 86_400).rounded(.down))
        return Self.civilDate(daysSinceEpoch: days)
    }

    /// The instant of a local wall time; `minute` 1440 is the next midnight. A wall time skipped
    /// by a daylight-saving change moves forward by the gap; a repeated one is its first occurrence.
    public func instant(_ day: CalendarDate, minute: Int) -> Date? {
        guard let days = Self.daysSinceEpoch(day) else { return nil }
        let local = Double(days) * 86_400 + Double(minute) * 60
        let before = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: local - 43_200 - 14 * 3600))
        let after = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: local + 43_200))
        let early = Date(timeIntervalSince1970: local - Double(before))
        let late = Date(timeIntervalSince1970: local - Double(after))
        let earlyValid = timeZone.secondsFromGMT(for: early) == before
        let lateValid = timeZone.secondsFromGMT(for: late) == after
        switch (earlyValid, lateValid) {
        case (true, true): return min(early, late)
        case (true, false): return early
        case (false, true): return late
        case (false, false): return early
        }
    }

    static func daysSinceEpoch(_ date: CalendarDate) -> Int? {
        // Howard Hinnant's days_from_civil.
        let y = date.month <= 2 ? date.year - 1 : date.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = date.month
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + date.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilDate(daysSinceEpoch days: Int) -> CalendarDate? {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return CalendarDate(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }
}
