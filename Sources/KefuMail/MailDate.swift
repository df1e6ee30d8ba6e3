import Foundation
import KefuCore

/// RFC 5322 dates as clients really write them ("Tue, 3 Nov 2026 09:15:02 +0800 (CST)",
/// without the weekday, with two-digit years or named zones).
public enum MailDate {
    /// The text without its "(CST)" comments (nested ones too), in one pass. A regex did this and
    /// took quadratic time on a header full of unclosed "(": one such mail held up all the mail
    /// behind it for minutes.
    static func withoutComments(_ text: String) -> String {
        var depth = 0
        var kept = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "(" {
                depth += 1
            } else if scalar == ")", depth > 0 {
                depth -= 1
            } else if depth == 0 {
                kept.append(scalar)
            }
        }
        return String(kept)
    }

    /// Longer than any date a client writes: a longer header is not a date (and is not read).
    static let maxLength = 256

    public static func parse(_ raw: String) -> Date? {
        guard raw.utf8.count <= maxLength else { return nil }
        var text = withoutComments(raw).trimmingCharacters(in: .whitespaces)
        if let comma = text.firstIndex(of: ",") { text = String(text[text.index(after: comma)...]).trimmingCharacters(in: .whitespaces) }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count >= 4, let day = Int(parts[0]), var year = Int(parts[2]) else { return nil }
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[1].prefix(3)).lowercased()) else { return nil }
        if year < 50 { year += 2000 } else if year < 100 { year += 1900 }
        let time = parts[3].split(separator: ":").compactMap { Int($0) }
        guard time.count >= 2 else { return nil }
        var offset = 0
        if parts.count >= 5 {
            let zone = parts[4]
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let value = Int(zone.dropFirst()) {
                offset = (value / 100 * 3600 + value % 100 * 60) * (sign == "-" ? -1 : 1)
            } else {
                let named = ["UT": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7]
                offset = (named[zone.uppercased()] ?? 0) * 3600
            }
        }
        var components = DateComponents()
        components.year = year
        components.month = monthIndex + 1
        components.day = day
        components.hour = time[0]
        components.minute = time[1]
        components.second = time.count > 2 ? time[2] : 0
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offset) ?? TimeZone(identifier: "UTC")!
        return calendar.date(from: components)
    }

    /// RFC 5322 format for sending, in UTC ("Mon, 30 Nov 2026 21:40:05 +0000"). Written out by
    /// hand: a DateFormatter made per mail was a visible part of every reply's cost.
    public static func format(_ date: Date) -> String {
        let utc = UTCFields(date)
        let two = UTCFields.two
        return "\(weekdays[utc.weekday]), \(utc.day) \(monthNames[utc.month - 1]) \(utc.year) \(two(utc.hour)):\(two(utc.minute)):\(two(utc.second)) +0000"
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
