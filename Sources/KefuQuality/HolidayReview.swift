import Foundation

/// Helps an admin review imported holidays. Chinese public calendars list the make-up working
/// days (补班, 上班) beside the days off; imported as holidays they would close the desk on a
/// working Saturday, so the review leaves them out unless the admin keeps them.
public enum HolidayReview {
    static let workdayMarks = ["补班", "上班", "調休上班", "调休上班", "補班", "workday", "working day", "make-up day", "makeup day"]

    public static func looksLikeWorkday(_ name: String) -> Bool {
        let folded = name.lowercased()
        return workdayMarks.contains { folded.contains($0) }
    }
}
