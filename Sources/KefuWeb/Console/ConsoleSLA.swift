import Foundation
import KefuCore
import KefuLocalization
import KefuQuality
import KefuStore

/// How response targets read in the console: a badge per conversation in the inbox, and the
/// targets with their log beside a conversation.
extension ConsolePage {
    /// "★★★★☆" for 4 of 5.
    static func stars(_ rating: Int) -> String {
        String(repeating: "★", count: max(0, min(5, rating))) + String(repeating: "☆", count: max(0, 5 - rating))
    }

    /// "Missed", "Due in 4 min" (soon when under ten minutes), or nil when no target runs.
    func slaBadge(_ sla: ConversationSLA?, now: Date) -> [String: Any]? {
        guard let sla else { return nil }
        if sla.breached { return ["state": "breached", "text": t("sla_breached"), "title": t("sla_breached")] }
        guard let due = sla.dueAt else { return nil }
        let left = Int(due.timeIntervalSince(now))
        let words = ResponseTimeWords.duration(max(60, left), locale: locale)
        let text = left <= 0 ? t("sla_overdue") : t("sla_due_in").replacingOccurrences(of: "{duration}", with: words)
        return [
            "state": left < 600 ? "soon" : "due", "text": text, "title": ConsolePage.shortTime(due), "due_iso": ConsolePage.isoTime(due),
        ]
    }

    /// The conversation's targets and their log, for its side panel.
    func slaPanel(timers: [SLATimer], events: [SLAEventRecord], now: Date) -> [String: Any]? {
        guard !timers.isEmpty || !events.isEmpty else { return nil }
        let rows: [[String: Any]] = timers.map { timer in
            var row: [String: Any] = [
                "metric": t("sla_metric_\(timer.metric.rawValue)"), "target": ResponseTimeWords.duration(timer.target, locale: locale),
            ]
            switch timer.phase {
            case .running(_, let due, _):
                row["state"] = timer.breachedAt != nil ? t("sla_breached") : t("sla_state_running")
                if let due { row["due_iso"] = ConsolePage.isoTime(due); row["due_text"] = ConsolePage.shortTime(due) }
            case .paused: row["state"] = t("sla_state_paused")
            case .stopped(_, let met): row["state"] = met ? t(timer.breachedAt != nil ? "sla_state_met_late" : "sla_state_met") : t("sla_state_cancelled")
            }
            row["breached"] = timer.breachedAt != nil
            return row
        }
        let log: [[String: Any]] = events.suffix(30).map { record in
            [
                "metric": t("sla_metric_\(record.event.metric.rawValue)"), "kind": t("sla_event_\(record.event.kind.rawValue)"),
                "at_iso": ConsolePage.isoTime(record.event.at), "at_text": ConsolePage.shortTime(record.event.at),
            ]
        }
        return ["timers": rows, "log": log]
    }
}
