import Foundation
import Hummingbird
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore

/// `/console/reports` (supervisors): a date range beside the one before it: conversations by
/// channel, inbox, topic and hour, response and resolution times, response targets kept,
/// satisfaction with the comments, and the help center; charts drawn as SVG here, CSV links.
struct ConsoleReportsController {
    let reports: Reports
    let store: any AgentRepository & TeamRepository & InboxRepository
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("reports") { request, context in
            try context.require(.supervisor)
            let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
            var values = page.base(title: page.t("reports"), request: request, context: context, nav: "reports")
            let query = QueryReader(request: request)
            let today = BusinessCalendar.alwaysOpen.localDate(of: Date()) ?? CalendarDate(year: 2026, month: 1, day: 1)!
            var weekAgo = today
            for _ in 0..<6 { weekAgo = weekAgo.previous ?? weekAgo }
            let range: ReportRange
            do {
                range = try ReportRange(
                    from: query.string("from") ?? weekAgo.description, to: query.string("to") ?? today.description, zone: query.string("tz"))
            } catch let failure as any DomainProblem {
                values["form_error"] = failure.problem.message(page.locale)
                values["from"] = query.string("from") ?? ""
                values["to"] = query.string("to") ?? ""
                values["tz"] = query.string("tz") ?? "UTC"
                var response = try resources.render("reports", values)
                response.status = .badRequest
                return response
            }
            let report = try await reports.comparison(range)
            values.merge(try await ReportViews(page: page, store: store).values(report, range: range)) { $1 }
            return try resources.render("reports", values)
        }
    }
}

/// The report's figures in the console's words and charts.
struct ReportViews {
    let page: ConsolePage
    let store: any AgentRepository & TeamRepository & InboxRepository

    func values(_ report: ReportComparison, range: ReportRange) async throws -> [String: Any] {
        let agents = Dictionary(uniqueKeysWithValues: try await store.listAgents().map { ($0.id.rawValue, $0.name) })
        let teams = Dictionary(uniqueKeysWithValues: try await store.listTeams().map { ($0.id.rawValue, $0.name) })
        let inboxes = Dictionary(uniqueKeysWithValues: try await store.listInboxes().map { ($0.id.rawValue, $0.name) })
        let (now, before) = (report.current, report.previous)
        let query = "from=\(range.from)&to=\(range.to)&tz=\(range.zoneName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "UTC")"
        let current = page.t("report_this_period")
        let previous = page.t("report_previous_period")
        func bars(_ mine: [ReportBucket], _ theirs: [ReportBucket], name: (String) -> String) -> [ReportCharts.Bar] {
            mine.map { bucket in ReportCharts.Bar(label: name(bucket.key), value: bucket.count, previous: theirs.first { $0.key == bucket.key }?.count ?? 0) }
        }
        func duration(_ seconds: Int?) -> String { seconds.map { ResponseTimeWords.duration($0, locale: page.locale) } ?? "—" }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.0f%%", $0 * 100) } ?? "—" }
        func rows(_ groups: [GroupFigures], name: (String) -> String) -> [[String: Any]] {
            groups.map { group in
                [
                    "name": name(group.key), "conversations": group.conversations,
                    "first_median": duration(group.firstResponse.medianSeconds), "first_p90": duration(group.firstResponse.p90Seconds),
                    "resolution_median": duration(group.resolution.medianSeconds), "resolution_p90": duration(group.resolution.p90Seconds),
                    "sla": percent(group.sla.rate), "csat": group.csat.averageRating.map { String(format: "%.1f", $0) } ?? "—",
                    "csat_rate": percent(group.csat.responseRate),
                ]
            }
        }
        func card(_ label: String, _ value: String, _ previousValue: String) -> [String: Any] {
            ["label": page.t(label), "value": value, "previous": previousValue]
        }
        return [
            "has_report": true, "from": range.from.description, "to": range.to.description, "tz": range.zoneName,
            "previous_from": before.period.from.description, "previous_to": before.period.to.description,
            "csv_conversations": "/api/v1/reports/conversations.csv?\(query)", "csv_summary": "/api/v1/reports/summary.csv?\(query)",
            "cards": [
                card("report_conversations", String(now.conversations), String(before.conversations)),
                card("report_first_response_median", duration(now.firstResponse.medianSeconds), duration(before.firstResponse.medianSeconds)),
                card("report_resolution_median", duration(now.resolution.medianSeconds), duration(before.resolution.medianSeconds)),
                card("report_sla_compliance", percent(now.sla.rate), percent(before.sla.rate)),
                card("report_csat_average", now.csat.averageRating.map { String(format: "%.2f", $0) } ?? "—", before.csat.averageRating.map { String(format: "%.2f", $0) } ?? "—"),
                card("report_csat_response_rate", percent(now.csat.responseRate), percent(before.csat.responseRate)),
                card("report_deflection_rate", percent(now.help.deflectionRate), percent(before.help.deflectionRate)),
            ],
            "chart_hours": ReportCharts.bars(bars(now.byHour, before.byHour) { $0 }, title: page.t("report_by_hour"), currentLabel: current, previousLabel: previous),
            "chart_channels": ReportCharts.bars(
                bars(now.byChannel, before.byChannel) { page.t("inbox_kind_\($0)") }, title: page.t("report_by_channel"), currentLabel: current,
                previousLabel: previous),
            "chart_ratings": ReportCharts.bars(
                (1...5).map { ReportCharts.Bar(label: "\($0) ★", value: now.csat.ratings[$0 - 1], previous: before.csat.ratings[$0 - 1]) },
                title: page.t("report_ratings"), currentLabel: current, previousLabel: previous),
            "inboxes": now.byInbox.map { ["name": inboxes[$0.key] ?? $0.key, "count": $0.count] },
            "topics": now.byTopic.prefix(20).map { ["name": $0.key, "count": $0.count] },
            "channels": rows(now.channels) { page.t("inbox_kind_\($0)") },
            "agents": rows(now.agents) { agents[$0] ?? $0 },
            "teams": rows(now.teams) { teams[$0] ?? $0 },
            "comments": now.comments.prefix(20).map {
                [
                    "stars": ConsolePage.stars($0.rating), "comment": $0.comment, "agent": $0.agentId.flatMap { agents[$0.rawValue] } ?? "",
                    "href": "/console/conversations/\($0.conversationId)",
                ]
            },
            "misses": now.help.searchesWithoutResult.map { ["query": $0.key, "count": $0.count] },
            "help": ["viewed": now.help.viewed, "answered": now.help.answered, "chat_started": now.help.chatStarted],
            "board": ["posts": now.board.posts, "votes": now.board.votes, "comments": now.board.comments],
        ]
    }
}
