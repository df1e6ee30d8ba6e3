import Foundation
import Testing

@testable import KefuCore

@Suite struct UTCFieldsTests {
    @Test func fieldsAndTextMatchTheCalendar() {
        // 2026-03-01 09:05:07 UTC, a Sunday; and the last second of a leap day.
        let morning = UTCFields(Date(timeIntervalSince1970: 1_772_355_907.9))
        #expect(morning == UTCFields(Date(timeIntervalSince1970: 1_772_355_907)))
        #expect(morning.minuteText == "2026-03-01 09:05 UTC")
        #expect(morning.weekday == 0 && morning.second == 7)
        let leap = UTCFields(Date(timeIntervalSince1970: 1_709_251_199))
        let fields: [Int] = [leap.year, leap.month, leap.day, leap.hour, leap.minute, leap.second]
        #expect(fields == [2024, 2, 29, 23, 59, 59])
        // The same text the DateFormatter it replaced wrote.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        for seconds in stride(from: -86_400 * 400, to: 4_102_444_800, by: 7_777_777) {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(UTCFields(date).minuteText == formatter.string(from: date))
        }
    }
}
