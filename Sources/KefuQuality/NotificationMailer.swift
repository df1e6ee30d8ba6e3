import Foundation
import KefuCore
import KefuLocalization
import KefuStore
import Logging
import ServiceLifecycle

/// Mails supervisors the notifications the timers wrote for them, in each one's language. A
/// sweep of `mail_state = pending`: a crash between writing a notification and queueing its
/// mail loses nothing, and the outbox's key (`notification:ID`) queues each mail once.
public struct NotificationMailer: Service {
    let store: any ServiceLevelRepository & AgentRepository
    let mailer: any CustomerNotifier
    let publicURL: String
    let interval: Duration
    let logger: Logger

    public init(
        store: any ServiceLevelRepository & AgentRepository, mailer: any CustomerNotifier, publicURL: String, interval: Duration, logger: Logger
    ) {
        self.store = store
        self.mailer = mailer
        self.publicURL = publicURL
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await mailDue()
                } catch {
                    logger.error("notifications could not be mailed", metadata: ["error": "\(DatabaseFailure.logged(error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Queues every pending notification mail; returns how many.
    @discardableResult
    public func mailDue() async throws -> Int {
        var queued = 0
        while !Task.isCancelled {
            let batch = try await store.notificationsToMail(limit: 50)
            for notification in batch {
                if let agent = try await store.agent(id: notification.agentId), agent.status == .active {
                    let mail = Self.compose(notification, locale: UILocale(storedTag: agent.locale), publicURL: publicURL)
                    try await mailer.sendNotice(to: agent.email, subject: mail.subject, text: mail.text, key: "notification:\(notification.id)")
                    queued += 1
                }
                try await store.markNotificationMailed(id: notification.id)
            }
            if batch.count < 50 { break }
        }
        return queued
    }

    /// The mail for one notification: what happened, to which conversation, and the link.
    public static func compose(_ notification: AgentNotification, locale: UILocale, publicURL: String) -> (subject: String, text: String) {
        let catalog = Catalog.standard
        let metric = notification.detail["metric"].flatMap(SLAMetric.init(rawValue:)) ?? .firstResponse
        let target = Int(notification.detail["target"] ?? "") ?? 0
        let values = [
            "number": notification.detail["number"] ?? "",
            "metric": catalog.text(.slaMetric(metric), locale),
            "target": ResponseTimeWords.duration(target, locale: locale),
            "link": "\(publicURL)/console/conversations/\(notification.conversationId?.rawValue ?? "")",
        ]
        let kind = notification.kind == .slaWarning ? "warning" : "breach"
        return (catalog.text(.slaNotificationSubject(kind), locale, values), catalog.text(.slaNotificationBody(kind), locale, values))
    }
}

/// Durations as people say them: "5 minutes", "24 hours", "2 days", "1 hour 30 minutes".
public enum ResponseTimeWords {
    public static func duration(_ seconds: Int, locale: UILocale) -> String {
        let catalog = Catalog.standard
        let minutes = max(1, (seconds + 59) / 60)
        if minutes < 60 { return catalog.text(.durationMinutes, locale, ["n": String(minutes)]) }
        if minutes % (24 * 60) == 0, minutes >= 2 * 24 * 60 { return catalog.text(.durationDays, locale, ["n": String(minutes / (24 * 60))]) }
        let hours = catalog.text(.durationHours, locale, ["n": String(minutes / 60)])
        guard minutes % 60 != 0 else { return hours }
        return catalog.text(.durationHoursMinutes, locale, ["hours": hours, "minutes": catalog.text(.durationMinutes, locale, ["n": String(minutes % 60)])])
    }
}
