import Foundation

/// A day on a wall calendar ("2026-10-01"), with no time and no zone: holidays are days in the
/// business calendar's own time zone, whatever zone the reader is in.
public struct CalendarDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil unless the parts name a real day of the proleptic Gregorian calendar (years 1…9999).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...Self.days(inMonth: month, of: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// "YYYY-MM-DD" exactly.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// The next day (nil after 9999-12-31).
    public var next: CalendarDate? {
        if day < Self.days(inMonth: month, of: year) { return CalendarDate(year: year, month: month, day: day + 1) }
        if month < 12 { return CalendarDate(year: year, month: month + 1, day: 1) }
        return CalendarDate(year: year + 1, month: 1, day: 1)
    }

    /// The day before (nil before 0001-01-01).
    public var previous: CalendarDate? {
        if day > 1 { return CalendarDate(year: year, month: month, day: day - 1) }
        if month > 1 { return CalendarDate(year: year, month: month - 1, day: Self.days(inMonth: month - 1, of: year)) }
        return CalendarDate(year: year - 1, month: 12, day: 31)
    }

    /// ISO weekday: 1 is Monday, 7 is Sunday.
    public var weekday: Int {
        // Days since 0001-01-01 (a Monday in the proleptic Gregorian calendar).
        let y = year - 1
        var days = y * 365 + y / 4 - y / 100 + y / 400
        for m in 1..<month { days += Self.days(inMonth: m, of: year) }
        days += day - 1
        return days % 7 + 1
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
