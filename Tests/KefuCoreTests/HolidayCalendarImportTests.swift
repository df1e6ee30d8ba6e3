import Foundation
import Testing

@testable import KefuCore

/// Holiday calendars as operators upload them; every expected day is counted by hand.
@Suite struct HolidayCalendarImportTests {
    let farFuture = CalendarDate(year: 2040, month: 12, day: 31)!

    func day(_ text: String) -> CalendarDate { CalendarDate(text)! }

    /// `(date, name)` pairs, so a failure prints readably.
    func read(_ text: String, until: CalendarDate? = nil) throws -> [String] {
        try HolidayCalendarImport.holidays(from: text, until: until ?? farFuture).map { "\($0.date) \($0.name)" }
    }

    func calendar(_ events: String) -> String {
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Kefu tests//EN\n" + events + "END:VCALENDAR\n"
    }

    /// A calendar of one event whose properties start on line 3.
    func event(_ properties: String) -> String {
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\n" + properties + "END:VEVENT\nEND:VCALENDAR\n"
    }

    @Test func chineseGovernmentCalendarWithFoldedNames() throws {
        // BOM, LF endings, a fold by space inside a word and one by tab, as the 2026 notice's calendars are published.
        let text = "\u{FEFF}" + """
            BEGIN:VCALENDAR
            VERSION:2.0
            PRODID:-//国务院办公厅//节假日安排//CN
            X-WR-CALNAME:2026年节假日
            BEGIN:VEVENT
            UID:guoqing-2026@gov.cn
            DTSTART;VALUE=DATE:20261001
            DTEND;VALUE=DATE:20261008
            SUMMARY:国庆节
            END:VEVENT
            BEGIN:VEVENT
            UID:chunjie-2026@gov.cn
            DTSTART;VALUE=DATE:20260215
            DTEND;VALUE=DATE:20260224
            SUMMARY:春节（农
             历新年
            \t）
            END:VEVENT
            END:VCALENDAR

            """
        let holidays = try HolidayCalendarImport.holidays(from: text, until: farFuture)
        #expect(holidays.count == 16)
        #expect(holidays.first == ImportedHoliday(date: day("2026-02-15"), name: "春节（农历新年）"))
        #expect(holidays[8] == ImportedHoliday(date: day("2026-02-23"), name: "春节（农历新年）"))
        #expect(holidays[9] == ImportedHoliday(date: day("2026-10-01"), name: "国庆节"))
        #expect(holidays.last == ImportedHoliday(date: day("2026-10-07"), name: "国庆节"))
    }

    @Test func googleExportWithCRLFTimeZoneAndAlarm() throws {
        let text = [
            "BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0", "CALSCALE:GREGORIAN",
            "X-WR-TIMEZONE:Asia/Shanghai", "BEGIN:VTIMEZONE", "TZID:Asia/Shanghai", "BEGIN:STANDARD", "TZOFFSETFROM:+0800",
            "TZOFFSETTO:+0800", "TZNAME:CST", "DTSTART:19700101T000000", "END:STANDARD", "END:VTIMEZONE",
            "BEGIN:VEVENT", "DTSTART;TZID=Asia/Shanghai:20260501T000000", "DTEND;TZID=Asia/Shanghai:20260506T000000",
            "UID:labour@google.com", "ATTENDEE;CN=\"Ops: Shanghai; 上海\";ROLE=REQ-PARTICIPANT:mailto:ops@example.com",
            "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:This is an event reminder", "TRIGGER:-P0DT0H30M0S", "END:VALARM",
            "summary:Labour Day", "STATUS:CONFIRMED", "END:VEVENT",
            // 16:00 UTC is midnight in Shanghai, but holidays are read as the day written.
            "BEGIN:VEVENT", "DTSTART;X-LABEL=\"a:b\":20260619T160000Z", "DTEND:20260620T120000Z", "SUMMARY:Dragon Boat Festival", "END:VEVENT",
            "END:VCALENDAR", "",
        ].joined(separator: "\r\n")
        #expect(try read(text) == [
            "2026-05-01 Labour Day", "2026-05-02 Labour Day", "2026-05-03 Labour Day", "2026-05-04 Labour Day", "2026-05-05 Labour Day",
            "2026-06-19 Dragon Boat Festival", "2026-06-20 Dragon Boat Festival",
        ])
    }

    @Test func yearlyRuleWithExceptionsAndLeapDay() throws {
        let text = calendar("""
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20260101
            RRULE:FREQ=YEARLY
            EXDATE;VALUE=DATE:20270101,20290101
            EXDATE:20280101T000000Z
            SUMMARY:New Year's Day
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20240229
            RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29
            SUMMARY:Leap day
            END:VEVENT

            """)
        #expect(try read(text, until: day("2032-12-31")) == [
            "2024-02-29 Leap day", "2026-01-01 New Year's Day", "2028-02-29 Leap day", "2030-01-01 New Year's Day",
            "2031-01-01 New Year's Day", "2032-01-01 New Year's Day", "2032-02-29 Leap day",
        ])
    }

    @Test func countIntervalUntilAndUnsupportedRules() throws {
        let text = calendar("""
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20260501
            RRULE:FREQ=YEARLY;INTERVAL=2;COUNT=3
            SUMMARY:Biennial
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20260105
            RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260126T235959Z
            SUMMARY:Monday
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20260301
            RRULE:FREQ=DAILY;INTERVAL=3;COUNT=3
            EXDATE;VALUE=DATE:20260304
            SUMMARY:Every third
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20261126
            RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH
            SUMMARY:Thanksgiving
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20260217
            RRULE:RSCALE=CHINESE;FREQ=YEARLY
            SUMMARY:春节
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20260610
            RRULE:FREQ=MONTHLY
            SUMMARY:Monthly
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20260701
            RRULE:FREQ=YEARLY;BYMONTH=8
            SUMMARY:Mismatch
            END:VEVENT

            """)
        #expect(try read(text, until: day("2031-12-31")) == [
            "2026-01-05 Monday", "2026-01-12 Monday", "2026-01-19 Monday", "2026-01-26 Monday",
            "2026-02-17 春节", "2026-03-01 Every third", "2026-03-07 Every third", "2026-05-01 Biennial",
            "2026-06-10 Monthly", "2026-07-01 Mismatch", "2026-11-26 Thanksgiving", "2028-05-01 Biennial", "2030-05-01 Biennial",
        ])
    }

    @Test func untilBoundsRepeatsButNotTheWrittenDay() throws {
        let text = calendar("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=DAILY\nSUMMARY:Off\nEND:VEVENT\n")
        #expect(try read(text, until: day("2026-01-03")) == ["2026-01-01 Off", "2026-01-02 Off", "2026-01-03 Off"])
        #expect(try read(text, until: day("2025-06-30")) == ["2026-01-01 Off"])
    }

    @Test func endlessOrHugeEventsStopAtTheDayLimit() throws {
        let endless = event("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=DAILY\n")
        #expect(throws: HolidayImportError.tooManyDays) { try read(endless, until: CalendarDate(year: 9999, month: 12, day: 31)!) }
        // 2026-01-01 plus 999 days is 2028-09-26 (365 + 365 + 269, 2028 being a leap year).
        let exactly = try read(event("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=DAILY;COUNT=1000\n"))
        #expect(exactly.count == 1000)
        #expect(exactly.last == "2028-09-26 Holiday")
        #expect(throws: HolidayImportError.tooManyDays) { try read(event("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=DAILY;COUNT=1001\n")) }
        #expect(throws: HolidayImportError.tooManyDays) { try read(event("DTSTART;VALUE=DATE:20260101\nDURATION:P1001D\n")) }
        #expect(try read(event("DTSTART;VALUE=DATE:20260101\nDURATION:P1000D\n")).count == 1000)
    }

    @Test func cancelledEventsAndCancelledOrMovedInstancesAreSkipped() throws {
        let text = calendar("""
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20260505
            STATUS:CANCELLED
            SUMMARY:Called off
            END:VEVENT
            BEGIN:VEVENT
            UID:newyear@google.com
            DTSTART;VALUE=DATE:20260101
            RRULE:FREQ=YEARLY;COUNT=4
            SUMMARY:New Year
            END:VEVENT
            BEGIN:VEVENT
            UID:newyear@google.com
            RECURRENCE-ID;VALUE=DATE:20270101
            DTSTART;VALUE=DATE:20270101
            STATUS:CANCELLED
            SUMMARY:New Year
            END:VEVENT
            BEGIN:VEVENT
            UID:newyear@google.com
            RECURRENCE-ID;VALUE=DATE:20280101
            DTSTART;VALUE=DATE:20280102
            SUMMARY:New Year (moved)
            END:VEVENT

            """)
        #expect(try read(text) == ["2026-01-01 New Year", "2028-01-02 New Year (moved)", "2029-01-01 New Year"])
    }

    @Test func overlappingEventsKeepTheFirstName() throws {
        let national = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261001\nDTEND;VALUE=DATE:20261004\nSUMMARY:国庆节\nEND:VEVENT\n"
        let autumn = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260930\nDTEND;VALUE=DATE:20261003\nSUMMARY:中秋节\nEND:VEVENT\n"
        #expect(try read(calendar(national + autumn)) == [
            "2026-09-30 中秋节", "2026-10-01 国庆节", "2026-10-02 国庆节", "2026-10-03 国庆节",
        ])
        #expect(try read(calendar(autumn + national)) == [
            "2026-09-30 中秋节", "2026-10-01 中秋节", "2026-10-02 中秋节", "2026-10-03 国庆节",
        ])
    }

    @Test func endsAndDurations() throws {
        func days(_ lines: String) throws -> [String] { try read(event(lines)).map { String($0.prefix(10)) } }
        #expect(try days("DTSTART:20261231T090000\nDTEND:20270101T090000\n") == ["2026-12-31", "2027-01-01"])
        #expect(try days("DTSTART:20261231T090000\nDTEND:20270101T000000\n") == ["2026-12-31"])
        #expect(try days("DTSTART;VALUE=DATE:20261001\nDTEND;VALUE=DATE:20261001\n") == ["2026-10-01"])
        #expect(try days("DTSTART;VALUE=DATE:20261001\nDURATION:P1W\n").count == 7)
        #expect(try days("DTSTART;VALUE=DATE:20261001\nDURATION:P3D\n") == ["2026-10-01", "2026-10-02", "2026-10-03"])
        #expect(try days("DTSTART;VALUE=DATE:20261001\nDURATION:PT24H\n") == ["2026-10-01"])
        #expect(try days("DTSTART;VALUE=DATE:20261001\nDURATION:PT2H\n") == ["2026-10-01"])
        #expect(try days("DTSTART;VALUE=DATE:20261001\nDURATION:PT25H\n") == ["2026-10-01", "2026-10-02"])
        #expect(try days("DTSTART;VALUE=DATE:20261001\nDURATION:P1DT1H\n") == ["2026-10-01", "2026-10-02"])
        #expect(try days("DTSTART;VALUE=DATE:20261001\n") == ["2026-10-01"])
        #expect(try days("DTSTART;VALUE=DATE:20261001\nDTEND;VALUE=DATE:20261003\nDURATION:P5D\n") == ["2026-10-01", "2026-10-02"])
    }

    @Test func namesAreUnescapedTrimmedAndCapped() throws {
        func name(_ summary: String) throws -> String {
            try HolidayCalendarImport.holidays(from: event("DTSTART;VALUE=DATE:20261226\n" + summary), until: farFuture)[0].name
        }
        let escaped = #"SUMMARY;LANGUAGE=en:  Boxing Day\, observed\;\nOffice closed \\ remote\N  "# + "\n"
        #expect(try name(escaped) == "Boxing Day, observed;\nOffice closed \\ remote")
        #expect(try name(#"SUMMARY:C:\temp"# + "\n") == #"C:\temp"#)
        #expect(try name("SUMMARY:   \n") == "Holiday")
        #expect(try name("") == "Holiday")
        #expect(try name("SUMMARY:" + String(repeating: "假", count: 250) + "\n") == String(repeating: "假", count: 200))
    }

    @Test func malformedLinesAreReportedWhereTheyStart() {
        // Line 6 starts an unfolded line (continued on 7) with no colon outside its quotes.
        let folded = event("DTSTART;VALUE=DATE:20260101\nSUMMARY:New\n  Year\nX-NOTE;LABEL=\"a\n b: c\"\n")
        #expect(throws: HolidayImportError.malformed(line: 6)) { try read(folded) }
        let crlf = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nno colon is ignored here\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nBEGIN:VALARM\r\njunk\r\n"
        #expect(throws: HolidayImportError.malformed(line: 7)) { try read(crlf + "END:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") }
        #expect(throws: HolidayImportError.malformed(line: 3)) { try read(event("DTSTART;VALUE=DATE:20261301\n")) }
        #expect(throws: HolidayImportError.malformed(line: 3)) { try read(event("DTSTART:20260230\n")) }
        #expect(throws: HolidayImportError.malformed(line: 4)) { try read(event("DTSTART:20260101\nDTEND:20260102T250000\n")) }
        #expect(throws: HolidayImportError.malformed(line: 4)) { try read(event("DTSTART:20260101\nRRULE:FREQ=DAILY;COUNT=0\n")) }
        #expect(throws: HolidayImportError.malformed(line: 4)) { try read(event("DTSTART:20260101\nRRULE:INTERVAL=2\n")) }
        #expect(throws: HolidayImportError.malformed(line: 4)) { try read(event("DTSTART:20260101\nDURATION:3D\n")) }
        // A VEVENT closed by END:VCALENDAR lost its END: a truncated or spliced file, not something to guess at.
        #expect(throws: HolidayImportError.malformed(line: 4)) { try read("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\nEND:VCALENDAR\n") }
    }

    @Test func onlyWholeCalendarsAreRead() throws {
        for text in ["", "<!doctype html><html><body>404</body></html>", "BEGIN:VCARD\nFN:Kefu\nEND:VCARD\n",
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\nEND:VEVENT\n", "BEGIN:VEVENT\nDTSTART:20260101\nEND:VEVENT\n"] {
            #expect(throws: HolidayImportError.notACalendar, "\(text)") { try read(text) }
        }
        #expect(try read("BEGIN:VCALENDAR\nEND:VCALENDAR") == [])
    }

    @Test func sizeIsCountedInUTF8Bytes() throws {
        #expect(throws: HolidayImportError.tooLarge) { try read(String(repeating: "a", count: HolidayCalendarImport.maxBytes + 1)) }
        // 174,763 characters, but three bytes each.
        #expect(throws: HolidayImportError.tooLarge) { try read(String(repeating: "假", count: HolidayCalendarImport.maxBytes / 3 + 1)) }
        let text = event("DTSTART;VALUE=DATE:20261001\nSUMMARY:国庆节\n")
        // "X-PAD:" and a newline are 7 bytes; the padding fills the file to exactly the limit.
        let padding = "X-PAD:" + String(repeating: "x", count: HolidayCalendarImport.maxBytes - text.utf8.count - 7) + "\n"
        let padded = text.replacingOccurrences(of: "BEGIN:VEVENT\n", with: padding + "BEGIN:VEVENT\n")
        #expect(padded.utf8.count == HolidayCalendarImport.maxBytes)
        #expect(try read(padded) == ["2026-10-01 国庆节"])
    }
}
