import Foundation

/// One day off read from an operator's uploaded calendar.
public struct ImportedHoliday: Sendable, Equatable, Codable {
    public var date: CalendarDate
    public var name: String

    public init(date: CalendarDate, name: String) {
        self.date = date
        self.name = name
    }
}

public enum HolidayImportError: Error, Equatable, Sendable {
    case notACalendar
    case tooLarge
    case tooManyDays
    /// The 1-based physical line where the offending (unfolded) line starts.
    case malformed(line: Int)
}

/// Reads an iCalendar file (RFC 5545) as exported by Google, Apple, Outlook or a government site
/// into the days its events cover: a holiday is a day, so times and zones are read as written.
public enum HolidayCalendarImport {
    public static let maxBytes = 512 * 1024
    public static let maxDays = 1000
    static let maxNameLength = 200

    /// Each day covered by an event, once (first name wins when two events share a day), sorted by date.
    /// Recurring events expand from their start up to and including `until`.
    public static func holidays(from text: String, until: CalendarDate) throws(HolidayImportError) -> [ImportedHoliday] {
        guard text.utf8.count <= maxBytes else { throw .tooLarge }
        var reader = CalendarReader()
        for line in unfoldedLines(text) { try reader.read(line.bytes, line: line.number) }
        guard reader.sawWholeCalendar else { throw .notACalendar }
        // A moved or cancelled instance (RECURRENCE-ID) replaces its series' occurrence on that day.
        var replaced: [String: Set<Int>] = [:]
        for event in reader.events { if let uid = event.uid, let day = event.recurrenceID { replaced[uid, default: []].insert(day) } }
        var days: [Int: String] = [:]
        for event in reader.events where !event.cancelled {
            var excluded = event.exceptions
            if event.rule != nil, event.recurrenceID == nil, let uid = event.uid, let moved = replaced[uid] { excluded.formUnion(moved) }
            try expand(event, excluding: excluded, until: dayNumber(until), into: &days)
        }
        return days.sorted { $0.key < $1.key }.map { ImportedHoliday(date: date($0.key)!, name: $0.value) }
    }

    fileprivate static func expand(_ event: Event, excluding excluded: Set<Int>, until: Int, into days: inout [Int: String]) throws(HolidayImportError) {
        guard let start = event.start else { return }
        // Days after 9999-12-31 do not exist, so they cannot count towards the limit either.
        let length = min(event.length, lastDayNumber + 1 - start)
        guard length <= maxDays else { throw .tooManyDays }
        // Occurrences come in date order with one length, so only days past the last one are new.
        var coveredUpTo = start
        func cover(_ first: Int) throws(HolidayImportError) {
            guard !excluded.contains(first) else { return }
            let end = min(first + length, lastDayNumber + 1)
            for day in max(first, coveredUpTo)..<max(end, coveredUpTo) where days[day] == nil {
                guard days.count < maxDays else { throw .tooManyDays }
                days[day] = event.name ?? "Holiday"
            }
            coveredUpTo = max(coveredUpTo, end)
        }
        // DTSTART is always the first occurrence and counts towards COUNT, even when excluded.
        try cover(start)
        guard let rule = event.rule, let startDate = date(start), let step = rule.step(from: startDate) else { return }
        let last = min(until, rule.until ?? .max)
        var occurrences = 1
        // Each emitted occurrence adds its own start day to the result, so this ends by tooManyDays,
        // by `last`, or after skipping at most the EXDATEs and non-leap years.
        switch step {
        case .days(let interval):
            var day = start
            while occurrences < rule.count {
                day += interval
                guard day <= last else { break }
                occurrences += 1
                try cover(day)
            }
        case .years(let interval):
            var year = startDate.year
            while occurrences < rule.count {
                year += interval
                guard year <= 9999 else { break }
                // Feb 29 only exists in leap years; RFC 5545 skips the others without counting them.
                guard let date = CalendarDate(year: year, month: startDate.month, day: startDate.day) else { continue }
                guard dayNumber(date) <= last else { break }
                occurrences += 1
                try cover(dayNumber(date))
            }
        }
    }

    /// Physical lines joined where a line starting with a space or tab continues the one before.
    fileprivate static func unfoldedLines(_ text: String) -> [(bytes: [UInt8], number: Int)] {
        var bytes = Array(text.utf8)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var lines: [(bytes: [UInt8], number: Int)] = []
        var number = 0
        var start = bytes.startIndex
        while start < bytes.endIndex {
            number += 1
            let newline = bytes[start...].firstIndex(of: 0x0A) ?? bytes.endIndex
            var end = newline
            while end > start, bytes[end - 1] == 0x0D { end -= 1 }
            let physical = bytes[start..<end]
            // A fold may fall anywhere, even inside a word; the space or tab that marks it is the only thing dropped.
            if let first = physical.first, first == 0x20 || first == 0x09, !lines.isEmpty {
                lines[lines.count - 1].bytes.append(contentsOf: physical.dropFirst())
            } else {
                lines.append((Array(physical), number))
            }
            start = newline == bytes.endIndex ? newline : newline + 1
        }
        return lines
    }

    /// Splits `NAME;PARAM=a;PARAM="quoted:;,":value` at the first colon outside quotes; nil when there is none.
    fileprivate static func property(_ bytes: [UInt8]) -> (name: String, value: String)? {
        var nameEnd: Int?
        var quoted = false
        for (index, byte) in bytes.enumerated() {
            if quoted {
                if byte == UInt8(ascii: "\"") { quoted = false }
            } else if byte == UInt8(ascii: "\"") && nameEnd != nil {
                quoted = true
            } else if byte == UInt8(ascii: ";") && nameEnd == nil {
                nameEnd = index
            } else if byte == UInt8(ascii: ":") {
                let name = bytes[..<(nameEnd ?? index)]
                guard !name.isEmpty else { return nil }
                return (String(decoding: name, as: UTF8.self).uppercased(), String(decoding: bytes[(index + 1)...], as: UTF8.self))
            }
        }
        return nil
    }
}

/// Where the reader is; the event being read lives in its state, so it cannot outlive its VEVENT.
private struct CalendarReader {
    enum State {
        case outside
        /// Inside VCALENDAR, perhaps inside components that hold no holidays (VTIMEZONE, VTODO…).
        case calendar(skipping: [String])
        /// Inside a VEVENT; `nested` are its subcomponents (VALARM…), whose properties are not the event's.
        case event(Event, nested: [String])
    }

    /// Deeper than any real calendar (VCALENDAR › VEVENT › VALARM › VLOCATION); keeps the stacks small.
    static let maxNesting = 8

    var state = State.outside
    var events: [Event] = []
    var sawWholeCalendar = false

    mutating func read(_ bytes: [UInt8], line: Int) throws(HolidayImportError) {
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        let property = HolidayCalendarImport.property(bytes)
        let name = property?.name ?? ""
        let component = name == "BEGIN" || name == "END" ? property!.value.trimmingCharacters(in: .whitespaces).uppercased() : ""
        switch state {
        case .outside:
            if name == "BEGIN", component == "VCALENDAR" { state = .calendar(skipping: []) }
        case .calendar(var skipping):
            switch (name, component) {
            case ("END", "VCALENDAR"):
                sawWholeCalendar = true
                state = .outside
            case ("BEGIN", "VEVENT") where skipping.isEmpty: state = .event(Event(), nested: [])
            case ("BEGIN", _):
                guard skipping.count < Self.maxNesting else { throw .malformed(line: line) }
                state = .calendar(skipping: skipping + [component])
            case ("END", _):
                // Lenient outside events: an END closes whatever was left open inside it.
                guard let open = skipping.lastIndex(of: component) else { return }
                skipping.removeSubrange(open...)
                state = .calendar(skipping: skipping)
            default: break
            }
        case .event(var event, var nested):
            guard let property else { throw .malformed(line: line) }
            // Released so the event's sets are changed in place instead of copied on every line.
            state = .outside
            switch (name, component) {
            case ("END", "VEVENT") where nested.isEmpty:
                events.append(event)
                state = .calendar(skipping: [])
                return
            case ("BEGIN", _):
                guard nested.count < Self.maxNesting else { throw .malformed(line: line) }
                nested.append(component)
            case ("END", _):
                // Inside an event a missing END means a damaged file, not something to guess around.
                guard nested.last == component else { throw .malformed(line: line) }
                nested.removeLast()
            default:
                if nested.isEmpty { try event.apply(name, property.value, line: line) }
            }
            state = .event(event, nested: nested)
        }
    }
}

private struct Event {
    var start: Int?
    var exclusiveEnd: Int?
    var durationDays: Int?
    var name: String?
    var cancelled = false
    var rule: RecurrenceRule?
    var exceptions: Set<Int> = []
    var uid: String?
    var recurrenceID: Int?

    /// Days covered by one occurrence: DTEND (exclusive) wins over DURATION; neither means one day.
    var length: Int { max(1, exclusiveEnd.map { $0 - (start ?? $0) } ?? durationDays ?? 1) }

    mutating func apply(_ property: String, _ value: String, line: Int) throws(HolidayImportError) {
        switch property {
        case "DTSTART": start = try HolidayCalendarImport.day(value, line: line).number
        // A date-time end at 00:00:00 ends the day before; any later time covers its own day.
        case "DTEND":
            let end = try HolidayCalendarImport.day(value, line: line)
            exclusiveEnd = end.atDayStart ? end.number : end.number + 1
        case "DURATION": durationDays = try Self.days(inDuration: value, line: line)
        case "SUMMARY" where name == nil:
            let text = Self.unescaped(value).trimmingCharacters(in: .whitespacesAndNewlines)
            let capped = String(text.prefix(HolidayCalendarImport.maxNameLength)).trimmingCharacters(in: .whitespacesAndNewlines)
            name = capped.isEmpty ? "Holiday" : capped
        case "STATUS": cancelled = value.trimmingCharacters(in: .whitespaces).uppercased() == "CANCELLED"
        case "RRULE" where rule == nil: rule = try RecurrenceRule(value, line: line)
        case "EXDATE":
            for item in value.split(separator: ",") where !item.allSatisfy(\.isWhitespace) {
                exceptions.insert(try HolidayCalendarImport.day(item, line: line).number)
            }
        case "UID": uid = value.trimmingCharacters(in: .whitespaces)
        case "RECURRENCE-ID": recurrenceID = try HolidayCalendarImport.day(value, line: line).number
        default: break
        }
    }

    /// TEXT escapes of RFC 5545 §3.3.11; an unknown escape is kept as written.
    static func unescaped(_ value: String) -> String {
        var result = String.UnicodeScalarView()
        var escaping = false
        for scalar in value.unicodeScalars {
            switch (escaping, scalar) {
            case (false, "\\"):
                escaping = true
                continue
            case (false, _), (true, "\\"), (true, ","), (true, ";"): result.append(scalar)
            case (true, "n"), (true, "N"): result.append("\n")
            case (true, _): result.append(contentsOf: ["\\", scalar])
            }
            escaping = false
        }
        if escaping { result.append("\\") }
        return String(result)
    }

    /// Whole days in a DURATION such as P3D, P1W or P1DT12H; a time part rounds up to a day.
    static func days(inDuration value: String, line: Int) throws(HolidayImportError) -> Int {
        var text = Substring(value.trimmingCharacters(in: .whitespaces).uppercased())
        let negative = text.first == "-"
        if text.first == "-" || text.first == "+" { text = text.dropFirst() }
        guard text.first == "P", text.count > 1 else { throw .malformed(line: line) }
        var seconds = 0
        var number: Int?
        var inTime = false
        for character in text.dropFirst() {
            if let digit = character.wholeNumberValue, character.isASCII {
                // Clamped: a duration of millions of days is refused as too many days anyway.
                number = min((number ?? 0) * 10 + digit, 100_000_000)
                continue
            }
            if character == "T", !inTime, number == nil {
                inTime = true
                continue
            }
            let unit: Int? = inTime ? ["H": 3_600, "M": 60, "S": 1][character] : ["W": 7 * 86_400, "D": 86_400][character]
            guard let amount = number, let unit else { throw .malformed(line: line) }
            // Capped so a long run of components cannot overflow; far past the cap it is too many days anyway.
            seconds = min(seconds + amount * unit, 1 << 50)
            number = nil
        }
        guard number == nil, text.last != "T" else { throw .malformed(line: line) }
        return negative ? 1 : max(1, (seconds + 86_399) / 86_400)
    }
}

/// The RRULE subset holidays need; anything else keeps the event's first occurrence only.
private struct RecurrenceRule {
    enum Frequency { case daily, weekly, yearly, unsupported }
    enum Step { case days(Int), years(Int) }

    var frequency = Frequency.unsupported
    var interval = 1
    var count = Int.max
    var until: Int?
    var byMonth: String?
    var byMonthDay: String?
    var byDay: String?
    /// BYSETPOS, BYWEEKNO, a lunar RSCALE…: a yearly Gregorian repeat of such an event would be wrong.
    var unsupportedPart = false

    init(_ value: String, line: Int) throws(HolidayImportError) {
        var sawFrequency = false
        for part in value.trimmingCharacters(in: .whitespaces).split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            guard pair.count == 2 else { throw .malformed(line: line) }
            switch pair[0] {
            case "FREQ":
                sawFrequency = true
                frequency = ["DAILY": .daily, "WEEKLY": .weekly, "YEARLY": .yearly][pair[1]] ?? .unsupported
            case "INTERVAL": interval = try Self.positive(pair[1], line: line)
            case "COUNT": count = try Self.positive(pair[1], line: line)
            case "UNTIL": until = try HolidayCalendarImport.day(pair[1], line: line).number
            case "BYMONTH": byMonth = pair[1]
            case "BYMONTHDAY": byMonthDay = pair[1]
            case "BYDAY": byDay = pair[1]
            case "RSCALE": unsupportedPart = unsupportedPart || pair[1] != "GREGORIAN"
            case "WKST", "SKIP": break
            case let other where other.hasPrefix("BY"): unsupportedPart = true
            default: break
            }
        }
        guard sawFrequency else { throw .malformed(line: line) }
    }

    /// How occurrences advance from `start`, or nil when the rule's BY parts do not just restate the start.
    func step(from start: CalendarDate) -> Step? {
        guard !unsupportedPart else { return nil }
        switch frequency {
        case .yearly:
            guard byMonth.map({ Int($0) == start.month }) ?? true, byMonthDay.map({ Int($0) == start.day }) ?? true, byDay == nil else { return nil }
            return .years(interval)
        case .weekly:
            let weekdays = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
            guard byMonth == nil, byMonthDay == nil, byDay.map({ $0 == weekdays[start.weekday - 1] }) ?? true else { return nil }
            return .days(interval * 7)
        case .daily:
            guard byMonth == nil, byMonthDay == nil, byDay == nil else { return nil }
            return .days(interval)
        case .unsupported: return nil
        }
    }

    /// Clamped: an interval or count in the billions means the same as one in the hundreds of millions here.
    static func positive(_ text: String, line: Int) throws(HolidayImportError) -> Int {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { throw .malformed(line: line) }
        let value = Int(text.prefix(9))!
        guard value > 0 else { throw .malformed(line: line) }
        return text.count > 9 ? 999_999_999 : value
    }
}

extension HolidayCalendarImport {
    fileprivate static let lastDayNumber = dayNumber(CalendarDate(year: 9999, month: 12, day: 31)!)

    /// Days since 1970-01-01 (civil-from-days arithmetic, so stepping by days needs no Foundation calendar).
    fileprivate static func dayNumber(_ date: CalendarDate) -> Int {
        let y = date.month <= 2 ? date.year - 1 : date.year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((date.month + 9) % 12) + 2) / 5 + date.day - 1
        return era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear - 719_468
    }

    fileprivate static func date(_ dayNumber: Int) -> CalendarDate? {
        let shifted = dayNumber + 719_468
        guard shifted >= 0 else { return nil }
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return CalendarDate(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
    }

    /// A DATE (`20261001`) or DATE-TIME (`20261001T080000`, `…Z`) value as the day written, and whether
    /// it falls at the very start of that day (a date, or exactly 00:00:00).
    fileprivate static func day(_ text: some StringProtocol, line: Int) throws(HolidayImportError) -> (number: Int, atDayStart: Bool) {
        let bytes = Array(text.utf8.drop(while: { $0 == 0x20 || $0 == 0x09 }).reversed().drop(while: { $0 == 0x20 || $0 == 0x09 }).reversed())
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return bytes[range].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        guard bytes.count == 8 || ((bytes.count == 15 || (bytes.count == 16 && bytes[15] == UInt8(ascii: "Z"))) && bytes[8] == UInt8(ascii: "T")),
            let year = number(0..<4), let month = number(4..<6), let dayOfMonth = number(6..<8),
            let date = CalendarDate(year: year, month: month, day: dayOfMonth)
        else { throw .malformed(line: line) }
        if bytes.count == 8 { return (dayNumber(date), true) }
        guard let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15), hour < 24, minute < 60, second <= 60 else {
            throw .malformed(line: line)
        }
        return (dayNumber(date), hour == 0 && minute == 0 && second == 0)
    }
}
