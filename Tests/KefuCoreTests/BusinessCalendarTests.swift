import Foundation
import KefuCore
import Testing

/// Business-time arithmetic against cases computed by hand (UTC instants written out).
@Suite struct BusinessCalendarTests {
    static func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)!
    }

    static func weekdays(_ start: String, _ end: String, days: ClosedRange<Int> = 1...5) -> [BusinessPeriod] {
        days.map { BusinessPeriod(weekday: $0, start: BusinessPeriod.minutes(start)!, end: BusinessPeriod.minutes(end)!) }
    }

    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    static let newYork = TimeZone(identifier: "America/New_York")!
    static let office = BusinessCalendar(timeZone: shanghai, hours: .weekly(weekdays("09:00", "18:00")))

    @Test func dates() {
        #expect(CalendarDate("2026-11-30")?.weekday == 1)
        #expect(CalendarDate("2026-10-01")?.weekday == 4)
        #expect(CalendarDate("2024-02-29")?.next == CalendarDate("2024-03-01"))
        #expect(CalendarDate("2026-12-31")?.next == CalendarDate("2027-01-01"))
        #expect(CalendarDate("2026-02-29") == nil)
        #expect(CalendarDate("2026-1-01") == nil)
        #expect(BusinessPeriod.minutes("24:00") == 1440)
        #expect(BusinessPeriod.minutes("24:01") == nil)
        #expect(BusinessPeriod.minutes("9:00") == nil)
    }

    @Test func periodBoundaries() {
        // Friday 2026-12-04 17:55 in Shanghai is 09:55Z; five minutes end exactly at closing.
        #expect(Self.office.adding(300, to: Self.utc("2026-12-04T09:55:00Z")) == Self.utc("2026-12-04T10:00:00Z"))
        // Six minutes: one left over for Monday 09:00.
        #expect(Self.office.adding(360, to: Self.utc("2026-12-04T09:55:00Z")) == Self.utc("2026-12-07T01:01:00Z"))
        // Asked on Saturday: the clock starts on Monday.
        #expect(Self.office.adding(3600, to: Self.utc("2026-12-05T02:00:00Z")) == Self.utc("2026-12-07T02:00:00Z"))
        // Friday 17:00 to Monday 10:00 local holds two business hours.
        #expect(Self.office.businessSeconds(from: Self.utc("2026-12-04T09:00:00Z"), to: Self.utc("2026-12-07T02:00:00Z")) == 7200)
        #expect(Self.office.isOpen(at: Self.utc("2026-12-04T01:00:00Z")))
        #expect(!Self.office.isOpen(at: Self.utc("2026-12-04T10:00:00Z")))
        #expect(Self.office.nextOpening(after: Self.utc("2026-12-04T10:00:00Z")) == Self.utc("2026-12-07T01:00:00Z"))
    }

    @Test func severalPeriodsADayAndOverlaps() {
        let split = BusinessCalendar(timeZone: Self.shanghai, hours: .weekly(Self.weekdays("09:00", "12:00") + Self.weekdays("13:00", "18:00")))
        // Monday 11:30 local plus an hour: 30 minutes before lunch, 30 after → 13:30 (05:30Z).
        #expect(split.adding(3600, to: Self.utc("2026-11-30T03:30:00Z")) == Self.utc("2026-11-30T05:30:00Z"))
        let overlapping = BusinessCalendar(
            timeZone: Self.shanghai,
            hours: .weekly([BusinessPeriod(weekday: 1, start: 540, end: 720), BusinessPeriod(weekday: 1, start: 660, end: 840)]))
        // 08:00–15:00 local on Monday counts 09:00–14:00 once: five hours, not six.
        #expect(overlapping.businessSeconds(from: Self.utc("2026-11-30T00:00:00Z"), to: Self.utc("2026-11-30T07:00:00Z")) == 5 * 3600)
    }

    @Test func periodsPastMidnight() {
        let nights = BusinessCalendar(timeZone: Self.shanghai, hours: .weekly([BusinessPeriod(weekday: 5, start: 22 * 60, end: 120)]))
        // Friday 23:30 local (15:30Z) plus an hour → Saturday 00:30 local.
        #expect(nights.adding(3600, to: Self.utc("2026-12-04T15:30:00Z")) == Self.utc("2026-12-04T16:30:00Z"))
        // Plus three hours: 2.5 this night, the last 30 minutes next Friday at 22:30 local.
        #expect(nights.adding(3 * 3600, to: Self.utc("2026-12-04T15:30:00Z")) == Self.utc("2026-12-11T14:30:00Z"))
        // Saturday 01:00 local is still Friday's period.
        #expect(nights.adding(1800, to: Self.utc("2026-12-04T17:00:00Z")) == Self.utc("2026-12-04T17:30:00Z"))
        #expect(nights.isOpen(at: Self.utc("2026-12-04T17:00:00Z")))
    }

    @Test func holidays() {
        var golden = Self.office
        var day = CalendarDate("2026-10-01")!
        while day <= CalendarDate("2026-10-07")! {
            golden.holidays.insert(day)
            day = day.next!
        }
        // Wednesday 2026-09-30 17:00 local plus two hours: one that day, one on Thursday 8 October.
        #expect(golden.adding(7200, to: Self.utc("2026-09-30T09:00:00Z")) == Self.utc("2026-10-08T02:00:00Z"))
        #expect(golden.businessSeconds(from: Self.utc("2026-09-30T00:00:00Z"), to: Self.utc("2026-10-09T00:00:00Z")) == 18 * 3600)
        // A holiday cuts an overnight period at its midnight.
        let nights = BusinessCalendar(
            timeZone: Self.shanghai, hours: .weekly([BusinessPeriod(weekday: 4, start: 22 * 60, end: 120)]), holidays: [CalendarDate("2026-12-04")!])
        #expect(nights.businessSeconds(from: Self.utc("2026-12-03T00:00:00Z"), to: Self.utc("2026-12-05T00:00:00Z")) == 7200)
    }

    @Test func daylightSavingChanges() {
        let sunday = BusinessCalendar(timeZone: Self.newYork, hours: .weekly([BusinessPeriod(weekday: 7, start: 0, end: 360)]))
        // 8 March 2026: 00:00–06:00 local is five real hours (02:00 jumps to 03:00).
        #expect(sunday.businessSeconds(from: Self.utc("2026-03-08T00:00:00Z"), to: Self.utc("2026-03-09T00:00:00Z")) == 5 * 3600)
        #expect(sunday.adding(5 * 3600, to: Self.utc("2026-03-08T05:00:00Z")) == Self.utc("2026-03-08T10:00:00Z"))
        // 1 November 2026: 00:00 EDT (04:00Z) to 06:00 EST (11:00Z) is seven.
        #expect(sunday.businessSeconds(from: Self.utc("2026-11-01T00:00:00Z"), to: Self.utc("2026-11-02T00:00:00Z")) == 7 * 3600)
        // A period that starts in the gap starts when the clocks have jumped: 03:30 EDT (07:30Z).
        let gap = BusinessCalendar(timeZone: Self.newYork, hours: .weekly([BusinessPeriod(weekday: 7, start: 150, end: 240)]))
        #expect(gap.businessSeconds(from: Self.utc("2026-03-08T00:00:00Z"), to: Self.utc("2026-03-09T00:00:00Z")) == 1800)
        #expect(gap.nextOpening(after: Self.utc("2026-03-08T00:00:00Z")) == Self.utc("2026-03-08T07:30:00Z"))
        // One that starts in the repeated hour starts at its first occurrence: 01:30 EDT (05:30Z) to 03:00 EST (08:00Z).
        let repeated = BusinessCalendar(timeZone: Self.newYork, hours: .weekly([BusinessPeriod(weekday: 7, start: 90, end: 180)]))
        #expect(repeated.businessSeconds(from: Self.utc("2026-11-01T00:00:00Z"), to: Self.utc("2026-11-02T00:00:00Z")) == 9000)
    }

    @Test func aroundTheClock() {
        #expect(BusinessCalendar.alwaysOpen.adding(300, to: Self.utc("2026-12-05T23:58:00Z")) == Self.utc("2026-12-06T00:03:00Z"))
        // 24/7 in New York across the spring change is 24 real hours, not a wall-clock day.
        let always = BusinessCalendar(timeZone: Self.newYork, hours: .always)
        #expect(always.adding(86_400, to: Self.utc("2026-03-07T12:00:00Z")) == Self.utc("2026-03-08T12:00:00Z"))
        // With a holiday on the 23-hour day: 7, 8 and 9 March local count 24 + 0 + 24 hours.
        let closedSunday = BusinessCalendar(timeZone: Self.newYork, hours: .always, holidays: [CalendarDate("2026-03-08")!])
        #expect(closedSunday.businessSeconds(from: Self.utc("2026-03-07T05:00:00Z"), to: Self.utc("2026-03-10T04:00:00Z")) == 48 * 3600)
        #expect(closedSunday.adding(3600, to: Self.utc("2026-03-08T12:00:00Z")) == Self.utc("2026-03-09T05:00:00Z"))
    }

    @Test func noBusinessTimeAtAll() {
        let empty = BusinessCalendar(timeZone: Self.shanghai, hours: .weekly([]))
        #expect(empty.adding(60, to: Self.utc("2026-12-04T00:00:00Z")) == nil)
        #expect(!empty.isOpen(at: Self.utc("2026-12-04T00:00:00Z")))
        #expect(empty.businessSeconds(from: Self.utc("2026-12-04T00:00:00Z"), to: Self.utc("2026-12-14T00:00:00Z")) == 0)
    }
}
