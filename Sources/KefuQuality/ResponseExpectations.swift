import Foundation
import KefuCore
import KefuLocalization
import KefuStore
import Synchronization

/// "We usually reply within 5 min", or outside working hours "you can expect a reply by
/// 2026-12-07 09:05 (Asia/Shanghai)": the first-response target of the policy a new
/// conversation in the inbox would get, counted on its calendar from now.
///
/// Every acknowledgement mail and every widget greeting carries this sentence, and working it
/// out reads the policies and a calendar and asks ICU about time zones: a sixth of the SMTP
/// listener's CPU under load. So a sentence is kept for a second, and never past the end of
/// its minute (it names minutes, and opening hours change on a minute): a change to a policy or
/// a calendar shows within a second, on every instance.
public struct ResponseExpectations: ReplyExpectations {
    let store: any ServiceLevelRepository
    private let recent: RecentSentences

    public init(store: any ServiceLevelRepository) {
        self.store = store
        self.recent = RecentSentences()
    }

    public func expectedReply(for inbox: Inbox, locale: UILocale, at instant: Date) async -> String? {
        let key = RecentSentences.Key(inbox: inbox.id, kind: inbox.kind, locale: locale)
        if let known = recent.sentence(for: key, at: instant) { return known.sentence }
        let sentence = await workOut(for: inbox, locale: locale, at: instant)
        recent.keep(sentence, for: key, at: instant)
        return sentence
    }

    private func workOut(for inbox: Inbox, locale: UILocale, at instant: Date) async -> String? {
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

/// The sentences worked out in the last second, per inbox and language.
final class RecentSentences: Sendable {
    struct Key: Hashable, Sendable {
        let inbox: InboxID
        let kind: InboxKind
        let locale: UILocale
    }

    struct Entry: Sendable {
        let sentence: String?
        let from: Date
        let until: Date
    }

    static let lifetime: TimeInterval = 1

    private let entries = Mutex<[Key: Entry]>([:])

    func sentence(for key: Key, at instant: Date) -> Entry? {
        guard let entry = entries.withLock({ $0[key] }), entry.from <= instant, instant < entry.until else { return nil }
        return entry
    }

    func keep(_ sentence: String?, for key: Key, at instant: Date) {
        let minuteEnds = Date(timeIntervalSince1970: (instant.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let entry = Entry(sentence: sentence, from: instant, until: min(instant.addingTimeInterval(Self.lifetime), minuteEnds))
        entries.withLock { entries in
            // Inboxes are few; a desk that somehow has thousands starts over rather than grow.
            if entries.count >= 1024 { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
    }
}
