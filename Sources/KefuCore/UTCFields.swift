import Foundation

/// A moment's calendar fields in UTC, from the C library. Pages and mails write many dates, and a
/// `DateFormatter` made per date cost 40 % of the console's inbox page (ICU builds one each time).
public struct UTCFields: Sendable, Equatable {
    public let year: Int
    /// 1…12.
    public let month: Int
    public let day: Int
    public let hour: Int
    public let minute: Int
    public let second: Int
    /// 0 is Sunday.
    public let weekday: Int

    public init(_ date: Date) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        year = Int(parts.tm_year) + 1900
        month = Int(parts.tm_mon) + 1
        day = Int(parts.tm_mday)
        hour = Int(parts.tm_hour)
        minute = Int(parts.tm_min)
        second = Int(parts.tm_sec)
        weekday = Int(parts.tm_wday)
    }

    /// "2026-11-30 14:05 UTC".
    public var minuteText: String {
        "\(year)-\(Self.two(month))-\(Self.two(day)) \(Self.two(hour)):\(Self.two(minute)) UTC"
    }

    /// Two digits, zero first.
    public static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}
