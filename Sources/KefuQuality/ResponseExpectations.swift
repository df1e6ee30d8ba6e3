import Foundation
import KefuCore
import KefuLocalization
import KefuStore

/// "We usually reply within 5 min", or outside working hours "you can expect a reply by
/// 2026-12-07 09:05 (Asia/Shanghai)": the first-response target of the policy a new
/// conversation in the inbox would get, counted on its calendar from now.
public struct ResponseExpectations: ReplyExpectations {
    let store: any ServiceLevelRepository

    public init(store: any ServiceLevelRepository) {
        self.store = store
    }

    public func expectedReply(for inbox: Inbox, locale: UILocale, at instant: Date) async -> String? {
        guard let policies = try? await store.slaPolicies(),
            let policy = SLAPolicy.select(from: policies, channel: inbox.kind, inboxId: inbox.id, priority: .none, labels: []),
            let target = policy.targets[.firstResponse]
        else { return nil }
        var calendar = BusinessCalendar.alwaysOpen
        if let id = policy.calendarId, let record = try? await store.businessCalendar(id: id) { calendar = record.calendar }
        return Self.sentence(target: target, calendar: calendar, locale: locale, at: instant)
    }

    /// The sentence for a target on a calendar at an instant (pure, for tests).
    public static func sentence(target: Int, calendar: BusinessCalendar, locale: UILocale, at instant: Date) -> String? {
        let catalog = Catalog.standard
        if calendar.isOpen(at: instant) {
            return catalog.text(.slaExpectWithin, locale, ["duration": ResponseTimeWords.duration(target, locale: locale)])
        }
        guard let due = calendar.adding(target, to: instant) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return catalog.text(.slaExpectClosed, locale, ["time": formatter.string(from: due), "zone": calendar.timeZone.identifier])
    }
}
