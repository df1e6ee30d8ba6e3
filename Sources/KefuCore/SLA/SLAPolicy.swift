import Foundation

public typealias SLAPolicyID = Identifier<SLAPolicyTag>
public enum SLAPolicyTag {}
public typealias BusinessCalendarID = Identifier<BusinessCalendarTag>
public enum BusinessCalendarTag {}

/// What a response target measures.
public enum SLAMetric: String, Sendable, Codable, CaseIterable, Comparable {
    /// From the conversation's start to the first agent reply.
    case firstResponse = "first_response"
    /// From a customer's message that follows an agent reply to the next agent reply.
    case nextResponse = "next_response"
    /// From the start to resolved.
    case resolution

    public static func < (lhs: SLAMetric, rhs: SLAMetric) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Which conversations a policy covers. Empty fields match anything; the most specific policy
/// that matches wins (a label outweighs a priority, which outweighs an inbox, which outweighs a
/// channel), then the lowest position.
public struct SLAMatch: Sendable, Equatable, Codable {
    public var channel: InboxKind?
    public var inboxId: InboxID?
    public var priority: ConversationPriority?
    public var label: String?

    public init(channel: InboxKind? = nil, inboxId: InboxID? = nil, priority: ConversationPriority? = nil, label: String? = nil) {
        self.channel = channel
        self.inboxId = inboxId
        self.priority = priority
        self.label = label
    }

    public func matches(channel: InboxKind, inboxId: InboxID, priority: ConversationPriority, labels: [String]) -> Bool {
        (self.channel.map { $0 == channel } ?? true) && (self.inboxId.map { $0 == inboxId } ?? true)
            && (self.priority.map { $0 == priority } ?? true) && (label.map { labels.contains($0) } ?? true)
    }

    var specificity: Int {
        (label == nil ? 0 : 8) + (priority == nil ? 0 : 4) + (inboxId == nil ? 0 : 2) + (channel == nil ? 0 : 1)
    }
}

/// What happens when a target is missed, besides telling people.
public struct SLABreachActions: Sendable, Equatable, Codable {
    /// Raise the conversation to this priority (never lowers it).
    public var raisePriority: ConversationPriority?
    /// Give the conversation to the next agent online with room (round robin).
    public var reassign: Bool

    public init(raisePriority: ConversationPriority? = nil, reassign: Bool = false) {
        self.raisePriority = raisePriority
        self.reassign = reassign
    }

    enum CodingKeys: String, CodingKey { case raisePriority, reassign }

    /// Either may be left out: no raise, no reassignment.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        raisePriority = try container.decodeIfPresent(ConversationPriority.self, forKey: .raisePriority)
        reassign = try container.decodeIfPresent(Bool.self, forKey: .reassign) ?? false
    }
}

/// Response targets for the conversations a policy matches.
public struct SLAPolicy: Sendable, Equatable, Codable {
    public var id: SLAPolicyID
    public var name: String
    public var match: SLAMatch
    /// Seconds of business time per metric; a metric without a target is not measured.
    public var targets: [SLAMetric: Int]
    /// Nil: every second counts (24/7).
    public var calendarId: BusinessCalendarID?
    /// How long before a breach the assignee and supervisors are warned (0: no warning).
    public var warnBeforeSeconds: Int
    public var onBreach: SLABreachActions
    public var position: Int
    public var enabled: Bool

    public init(
        id: SLAPolicyID, name: String, match: SLAMatch, targets: [SLAMetric: Int], calendarId: BusinessCalendarID? = nil,
        warnBeforeSeconds: Int = 0, onBreach: SLABreachActions = SLABreachActions(), position: Int = 0, enabled: Bool = true
    ) {
        self.id = id
        self.name = name
        self.match = match
        self.targets = targets
        self.calendarId = calendarId
        self.warnBeforeSeconds = warnBeforeSeconds
        self.onBreach = onBreach
        self.position = position
        self.enabled = enabled
    }

    /// The policy that covers a conversation, or nil when none does.
    public static func select(
        from policies: [SLAPolicy], channel: InboxKind, inboxId: InboxID, priority: ConversationPriority, labels: [String]
    ) -> SLAPolicy? {
        policies.filter { $0.enabled && $0.match.matches(channel: channel, inboxId: inboxId, priority: priority, labels: labels) }
            .min { a, b in
                if a.match.specificity != b.match.specificity { return a.match.specificity > b.match.specificity }
                if a.position != b.position { return a.position < b.position }
                return a.id.rawValue < b.id.rawValue
            }
    }

    /// The longest target anyone may set: a year of business time.
    public static let maxTargetSeconds = 366 * 86_400
}

/// A stored business calendar: its name and what `BusinessCalendar` computes with.
public struct BusinessCalendarRecord: Sendable, Equatable {
    public var id: BusinessCalendarID
    public var name: String
    public var timeZone: String
    /// Nil: open around the clock.
    public var periods: [BusinessPeriod]?
    public var holidays: [ImportedHoliday]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: BusinessCalendarID, name: String, timeZone: String, periods: [BusinessPeriod]?, holidays: [ImportedHoliday], createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
        self.periods = periods
        self.holidays = holidays
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// What the clock counts with (UTC if the zone is unknown, which validation prevents).
    public var calendar: BusinessCalendar {
        BusinessCalendar(
            timeZone: TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!,
            hours: periods.map { .weekly($0) } ?? .always, holidays: Set(holidays.map(\.date)))
    }
}
