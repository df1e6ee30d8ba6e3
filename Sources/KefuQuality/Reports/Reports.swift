import Foundation
import KefuCore
import KefuStore

/// A report's days: `from` to `to` inclusive, midnight to midnight in `zone`.
public struct ReportRange: Sendable, Equatable {
    public var from: CalendarDate
    public var to: CalendarDate
    public var zone: TimeZone
    /// The zone as asked for (Foundation calls UTC "GMT").
    public var zoneName: String

    public static let maxDays = 366

    /// Reads the query's `from`, `to` (YYYY-MM-DD) and `tz` (an IANA zone, UTC by default).
    public init(from: String?, to: String?, zone: String?) throws {
        var problems = ValidationFailure()
        let start = from.flatMap(CalendarDate.init)
        let end = to.flatMap(CalendarDate.init)
        if start == nil { problems.add("from", from == nil ? .required : .invalid) }
        if end == nil { problems.add("to", to == nil ? .required : .invalid) }
        let zoneName = zone ?? "UTC"
        let known = TimeZone.knownTimeZoneIdentifiers.contains(zoneName) || zoneName == "UTC"
        if !known { problems.add("tz", .rule("unknown_time_zone")) }
        if let start, let end, start > end { problems.add("to", .rule("before_from")) }
        if let start, let end, let days = Self.days(start, end), days > Self.maxDays { problems.add("to", .rule("range_too_long")) }
        guard problems.fields.isEmpty, let start, let end, let timeZone = TimeZone(identifier: zoneName) else { throw QualityError.invalid(problems) }
        self.init(from: start, to: end, zone: timeZone, name: zoneName)
    }

    public init(from: CalendarDate, to: CalendarDate, zone: TimeZone, name: String? = nil) {
        self.from = from
        self.to = to
        self.zone = zone
        zoneName = name ?? zone.identifier
    }

    var calendar: BusinessCalendar { BusinessCalendar(timeZone: zone, hours: .always) }
    public var start: Date { calendar.instant(from, minute: 0) ?? .distantPast }
    public var end: Date { to.next.flatMap { calendar.instant($0, minute: 0) } ?? .distantFuture }
    public var days: Int { Self.days(from, to) ?? 1 }

    static func days(_ from: CalendarDate, _ to: CalendarDate) -> Int? {
        var count = 1
        var day = from
        while day < to, let next = day.next, count <= maxDays + 1 {
            day = next
            count += 1
        }
        return count
    }

    /// The same number of days just before.
    public var previous: ReportRange {
        var start = from
        for _ in 0..<days { start = start.previous ?? start }
        return ReportRange(from: start, to: from.previous ?? from, zone: zone, name: zoneName)
    }
}

/// The period's figures and the previous period's, for comparison.
public struct ReportComparison: Sendable, Equatable, Codable {
    public var current: ReportFigures
    public var previous: ReportFigures
}

/// Service-quality reports: conversations, response times, response targets, satisfaction and
/// the help center, for a date range beside the one before it; as JSON, charts and CSV.
public struct Reports: Sendable {
    let store: any ReportRepository

    public init(store: any ReportRepository) {
        self.store = store
    }

    public func figures(_ range: ReportRange) async throws -> ReportFigures {
        let (start, end) = (range.start, range.end)
        return ReportFigures.compute(
            period: .init(from: range.from, to: range.to, timeZone: range.zoneName), zone: range.zone,
            conversations: try await store.reportConversations(from: start, to: end), outcomes: try await store.reportTargetOutcomes(from: start, to: end),
            surveys: try await store.reportSurveys(from: start, to: end), deflections: try await store.reportDeflections(from: start, to: end),
            misses: try await store.reportSearchMisses(from: start, to: end, limit: 20),
            board: try await board(start, end))
    }

    func board(_ start: Date, _ end: Date) async throws -> ReportFigures.BoardFigures {
        let activity = try await store.feedbackActivity(from: start, to: end)
        return ReportFigures.BoardFigures(posts: activity.posts, votes: activity.votes, comments: activity.comments)
    }

    public func comparison(_ range: ReportRange) async throws -> ReportComparison {
        ReportComparison(current: try await figures(range), previous: try await figures(range.previous))
    }

    /// One row per conversation created in the range, for the operator's own analysis.
    public func conversationsCSV(_ range: ReportRange) async throws -> String {
        var csv = CSVWriter()
        csv.row([
            "id", "number", "channel", "inbox_id", "status", "created_at", "first_reply_at", "resolved_at", "first_response_seconds",
            "resolution_seconds", "sla_outcome", "csat_rating", "csat_comment", "assignee_id", "team_id", "labels",
        ])
        for row in try await store.reportConversations(from: range.start, to: range.end) {
            let resolved = row.status == .resolved ? row.resolvedAt : nil
            csv.row([
                row.id.rawValue, String(row.number), row.channel.rawValue, row.inboxId.rawValue, row.status.rawValue, CSVWriter.time(row.createdAt),
                row.firstReplyAt.map(CSVWriter.time) ?? "", resolved.map(CSVWriter.time) ?? "",
                row.firstReplyAt.map { String(Int($0.timeIntervalSince(row.createdAt))) } ?? "",
                resolved.map { String(Int($0.timeIntervalSince(row.createdAt))) } ?? "", row.slaOutcome, row.csat.map { String($0.rating) } ?? "",
                row.csat?.comment ?? "", row.assigneeId?.rawValue ?? "", row.teamId?.rawValue ?? "", row.labels.joined(separator: " "),
            ])
        }
        return csv.text
    }

    /// Every figure of the overview in the same buckets, long format: one row per (figure, group,
    /// key) with this period's value and the previous period's.
    public func summaryCSV(_ range: ReportRange) async throws -> String {
        let report = try await comparison(range)
        var csv = CSVWriter()
        csv.row(["figure", "group", "key", "value", "previous_value"])
        for (figure, group, key, value) in Self.flatten(report.current) {
            let previous = Self.flatten(report.previous).first { $0.0 == figure && $0.1 == group && $0.2 == key }?.3 ?? ""
            csv.row([figure, group, key, value, previous])
        }
        return csv.text
    }

    static func flatten(_ figures: ReportFigures) -> [(String, String, String, String)] {
        var rows: [(String, String, String, String)] = [("conversations", "all", "", String(figures.conversations))]
        for (group, buckets) in [("channel", figures.byChannel), ("inbox", figures.byInbox), ("topic", figures.byTopic), ("hour", figures.byHour)] {
            rows += buckets.map { ("conversations", group, $0.key, String($0.count)) }
        }
        func stats(_ group: String, _ key: String, _ figures: GroupFigures) -> [(String, String, String, String)] {
            [
                ("conversations", group, key, String(figures.conversations)),
                ("first_response_median_seconds", group, key, figures.firstResponse.medianSeconds.map(String.init) ?? ""),
                ("first_response_p90_seconds", group, key, figures.firstResponse.p90Seconds.map(String.init) ?? ""),
                ("resolution_median_seconds", group, key, figures.resolution.medianSeconds.map(String.init) ?? ""),
                ("resolution_p90_seconds", group, key, figures.resolution.p90Seconds.map(String.init) ?? ""),
                ("sla_met", group, key, String(figures.sla.met)), ("sla_breached", group, key, String(figures.sla.breached)),
                ("csat_sent", group, key, String(figures.csat.sent)), ("csat_answered", group, key, String(figures.csat.answered)),
                ("csat_average", group, key, figures.csat.averageRating.map { String(format: "%.2f", $0) } ?? ""),
            ]
        }
        let all = GroupFigures(
            key: "", conversations: figures.conversations, firstResponse: figures.firstResponse, resolution: figures.resolution, sla: figures.sla,
            csat: figures.csat)
        rows += stats("all", "", all).dropFirst()
        for (group, list) in [("channel_figures", figures.channels), ("agent", figures.agents), ("team", figures.teams)] {
            for item in list { rows += stats(group, item.key, item) }
        }
        rows += [
            ("help_deflections", "outcome", "viewed", String(figures.help.viewed)),
            ("help_deflections", "outcome", "answered", String(figures.help.answered)),
            ("help_deflections", "outcome", "chat_started", String(figures.help.chatStarted)),
        ]
        rows += figures.help.searchesWithoutResult.map { ("help_searches_without_result", "query", $0.key, String($0.count)) }
        rows += [
            ("feedback_board", "activity", "posts", String(figures.board.posts)), ("feedback_board", "activity", "votes", String(figures.board.votes)),
            ("feedback_board", "activity", "comments", String(figures.board.comments)),
        ]
        return rows
    }
}

/// RFC 4180 text (CRLF, quoted where needed) that spreadsheets open safely: a field that would
/// start a formula (=, +, -, @, tab) is led by an apostrophe, so a customer's comment cannot run
/// in the operator's spreadsheet.
struct CSVWriter {
    private(set) var text = ""

    mutating func row(_ fields: [String]) {
        text += fields.map(Self.field).joined(separator: ",") + "\r\n"
    }

    static func field(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@\t\r".contains(first), Double(value) == nil { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func time(_ date: Date) -> String { date.formatted(.iso8601) }
}
