import Foundation
import KefuCore
import SQLKit

/// Webhook subscriptions, the outbound event journal's fan-out, and deliveries.
extension SQLStore: WebhookRepository {
    static let subscriptionColumns = """
        id, url, events, include_private_notes, inbox_id, secret_sealed, previous_secret_sealed, previous_secret_until, status,
        disabled_reason, failing_since, created_at, updated_at
        """
    static let webhookDeliveryColumns = """
        id, subscription_id, event_type, body, status, attempts, next_attempt_at, response_status, latency_ms, response_excerpt,
        last_error, created_at, delivered_at
        """

    static func subscription(from row: any SQLRow) throws -> WebhookSubscription {
        let events = try JSONDecoder().decode([String].self, from: Data(try row.string("events").utf8)).compactMap(OutboundEventType.init(rawValue:))
        return WebhookSubscription(
            id: try row.string("id"), url: try row.string("url"), events: events,
            includePrivateNotes: try row.decode(column: "include_private_notes", as: Bool.self),
            inboxId: try row.optionalString("inbox_id").map(InboxID.init(rawValue:)), secretSealed: try row.string("secret_sealed"),
            previousSecretSealed: try row.optionalString("previous_secret_sealed"),
            previousSecretUntil: try row.decode(column: "previous_secret_until", as: Int64?.self).map(Clock.date),
            status: try row.enumValue("status", as: WebhookStatus.self), disabledReason: try row.optionalString("disabled_reason"),
            failingSince: try row.decode(column: "failing_since", as: Int64?.self).map(Clock.date), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }

    static func webhookDelivery(from row: any SQLRow) throws -> WebhookDelivery {
        WebhookDelivery(
            id: try row.string("id"), subscriptionId: try row.string("subscription_id"),
            eventType: try row.enumValue("event_type", as: OutboundEventType.self), body: try row.string("body"),
            status: try row.enumValue("status", as: WebhookDeliveryStatus.self), attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.date("next_attempt_at"), responseStatus: try row.decode(column: "response_status", as: Int?.self),
            latencyMs: try row.decode(column: "latency_ms", as: Int?.self), responseExcerpt: try row.optionalString("response_excerpt"),
            lastError: try row.optionalString("last_error"), createdAt: try row.date("created_at"),
            deliveredAt: try row.decode(column: "delivered_at", as: Int64?.self).map(Clock.date))
    }

    static func encodeEvents(_ events: [OutboundEventType]) throws -> String {
        String(decoding: try JSONEncoder().encode(events.map(\.rawValue)), as: UTF8.self)
    }

    static func loadSubscription(_ id: String, on sql: any SQLDatabase) async throws -> WebhookSubscription {
        guard let row = try await sql.raw("SELECT \(unsafeRaw: subscriptionColumns) FROM webhook_subscriptions WHERE id = \(bind: id)").first()
        else { throw StoreError.notFound("webhook") }
        return try subscription(from: row)
    }

    public func createWebhook(_ new: NewWebhookSubscription, audit: AuditEvent?) async throws -> WebhookSubscription {
        let id = "wh_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let at = Clock.millis(now())
        let events = try Self.encodeEvents(new.events)
        return try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO webhook_subscriptions (id, url, events, include_private_notes, inbox_id, secret_sealed, status, created_at, updated_at)
                VALUES (\(bind: id), \(bind: new.url), \(bind: events), \(bind: new.includePrivateNotes), \(bind: new.inboxId?.rawValue),
                    \(bind: new.secretSealed), 'active', \(bind: at), \(bind: at))
                """
            ).run()
            if var audit {
                audit.subjectId = id
                try await insertAudit(audit, on: sql)
            }
            return try await Self.loadSubscription(id, on: sql)
        }
    }

    public func webhookSubscriptions() async throws -> [WebhookSubscription] {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.subscriptionColumns) FROM webhook_subscriptions ORDER BY created_at, id").all()
                .map(Self.subscription(from:))
        }
    }

    public func webhookSubscription(id: String) async throws -> WebhookSubscription? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.subscriptionColumns) FROM webhook_subscriptions WHERE id = \(bind: id)").first()
                .map(Self.subscription(from:))
        }
    }

    public func updateWebhook(
        id: String, url: String?, events: [OutboundEventType]?, includePrivateNotes: Bool?, enabled: Bool?, audit: AuditEvent?
    ) async throws -> WebhookSubscription {
        let at = Clock.millis(now())
        let encoded = try events.map(Self.encodeEvents)
        return try await database.write { sql in
            _ = try await Self.loadSubscription(id, on: sql)
            var assignments: SQLQueryString = "updated_at = \(bind: at)"
            if let url { assignments = "\(assignments), url = \(bind: url)" }
            if let encoded { assignments = "\(assignments), events = \(bind: encoded)" }
            if let includePrivateNotes { assignments = "\(assignments), include_private_notes = \(bind: includePrivateNotes)" }
            switch enabled {
            case true?: assignments = "\(assignments), status = 'active', disabled_reason = NULL, failing_since = NULL"
            case false?: assignments = "\(assignments), status = 'disabled', disabled_reason = 'by an admin'"
            case nil: break
            }
            try await sql.raw("UPDATE webhook_subscriptions SET \(assignments) WHERE id = \(bind: id)").run()
            if let audit { try await insertAudit(audit, on: sql) }
            return try await Self.loadSubscription(id, on: sql)
        }
    }

    public func rotateWebhookSecret(id: String, secretSealed: String, previousUntil: Date, audit: AuditEvent?) async throws -> WebhookSubscription {
        let at = Clock.millis(now())
        return try await database.write { sql in
            _ = try await Self.loadSubscription(id, on: sql)
            try await sql.raw(
                """
                UPDATE webhook_subscriptions SET previous_secret_sealed = secret_sealed, previous_secret_until = \(bind: Clock.millis(previousUntil)),
                    secret_sealed = \(bind: secretSealed), updated_at = \(bind: at)
                WHERE id = \(bind: id)
                """
            ).run()
            if let audit { try await insertAudit(audit, on: sql) }
            return try await Self.loadSubscription(id, on: sql)
        }
    }

    public func deleteWebhook(id: String, audit: AuditEvent?) async throws {
        try await database.write { sql in
            guard try await sql.raw("DELETE FROM webhook_subscriptions WHERE id = \(bind: id) RETURNING id").first() != nil else {
                throw StoreError.notFound("webhook")
            }
            if let audit { try await insertAudit(audit, on: sql) }
        }
    }

    public func disableWebhook(id: String, reason: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE webhook_subscriptions SET status = 'disabled', disabled_reason = \(bind: String(reason.prefix(300))),
                    updated_at = \(bind: Clock.millis(now()))
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    public func journalEvent(_ type: OutboundEventType, subject: String, inboxId: InboxID?, detail: [String: String]) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await Self.journal(type, subject: subject, inbox: inboxId, detail: detail, at: at, on: sql)
        }
    }

    public func pendingOutboundEvents(limit: Int) async throws -> [OutboundEventRecord] {
        try await database.read { sql in
            try await sql.raw(
                "SELECT seq, event_type, subject_id, inbox_id, detail, created_at FROM outbound_events ORDER BY seq LIMIT \(bind: limit)"
            ).all().compactMap { row in
                // An event type this version does not know (written by a newer one) is skipped.
                guard let type = OutboundEventType(rawValue: try row.string("event_type")) else {
                    return OutboundEventRecord(
                        seq: try row.int64("seq"), type: .messageCreated, subjectId: "", inboxId: nil, detail: ["unknown": "true"],
                        createdAt: try row.date("created_at"))
                }
                return OutboundEventRecord(
                    seq: try row.int64("seq"), type: type, subjectId: try row.string("subject_id"),
                    inboxId: try row.optionalString("inbox_id").map(InboxID.init(rawValue:)),
                    detail: (try? JSONDecoder().decode([String: String].self, from: Data(try row.string("detail").utf8))) ?? [:],
                    createdAt: try row.date("created_at"))
            }
        }
    }

    public func fanOut(_ deliveries: [Int64: [NewWebhookDelivery]]) async throws {
        guard !deliveries.isEmpty else { return }
        let at = Clock.millis(now())
        try await database.write { sql in
            // Whoever removes an event from the journal fans it out: a second dispatcher (another
            // instance) that read the same events removes nothing and queues nothing.
            var taken: [Int64] = []
            let seqs = Array(deliveries.keys).sorted()
            for chunk in stride(from: 0, to: seqs.count, by: 500) {
                let part = Array(seqs[chunk..<min(chunk + 500, seqs.count)])
                taken += try await sql.raw("DELETE FROM outbound_events WHERE seq IN (\(binds: part)) RETURNING seq").all().map { try $0.int64("seq") }
            }
            for seq in taken.sorted() {
                for delivery in deliveries[seq] ?? [] {
                    try await sql.raw(
                        """
                        INSERT INTO webhook_deliveries (id, subscription_id, event_type, body, status, attempts, next_attempt_at, created_at)
                        VALUES (\(bind: "msg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")), \(bind: delivery.subscriptionId),
                            \(bind: delivery.eventType.rawValue), \(bind: delivery.body), 'queued', 0, \(bind: at), \(bind: at))
                        """
                    ).run()
                }
            }
        }
    }

    public func claimDueWebhookDeliveries(now date: Date, lease: TimeInterval, limit: Int) async throws -> [WebhookDelivery] {
        let skipLocked = flavor == .postgres ? " FOR UPDATE OF d SKIP LOCKED" : ""
        let at = Clock.millis(date)
        let until = Clock.millis(date.addingTimeInterval(lease))
        return try await database.write { sql in
            // Only active subscriptions' deliveries go; a disabled one's wait (replayable).
            try await sql.raw(
                """
                UPDATE webhook_deliveries SET status = 'sending', lease_until = \(bind: until), attempts = attempts + 1
                WHERE id IN (
                    SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
                    WHERE s.status = 'active'
                        AND ((d.status = 'queued' AND d.next_attempt_at <= \(bind: at)) OR (d.status = 'sending' AND d.lease_until < \(bind: at)))
                    ORDER BY d.next_attempt_at, d.id LIMIT \(bind: limit)\(unsafeRaw: skipLocked))
                RETURNING \(unsafeRaw: Self.webhookDeliveryColumns)
                """
            ).all().map(Self.webhookDelivery(from:))
        }
    }

    @discardableResult public func recordWebhookAttempt(_ claim: WebhookDelivery, _ attempt: WebhookAttempt, at date: Date) async throws -> Bool {
        let at = Clock.millis(date)
        let (status, next): (WebhookDeliveryStatus, Int64?) =
            switch attempt.outcome {
            case .delivered: (.delivered, nil)
            case .retry(let when): (.queued, Clock.millis(when))
            case .failed: (.failed, nil)
            }
        return try await database.write { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE webhook_deliveries SET status = \(bind: status.rawValue), lease_until = NULL,
                        next_attempt_at = COALESCE(\(bind: next), next_attempt_at), response_status = \(bind: attempt.responseStatus),
                        latency_ms = \(bind: attempt.latencyMs), response_excerpt = \(bind: attempt.responseExcerpt.map { String($0.prefix(500)) }),
                        last_error = \(bind: attempt.error.map { String($0.prefix(500)) }),
                        delivered_at = \(bind: status == .delivered ? at : nil)
                    WHERE id = \(bind: claim.id) AND status = 'sending' AND attempts = \(bind: claim.attempts) RETURNING subscription_id
                    """
                ).first()
            else { return false }
            let subscription = try row.string("subscription_id")
            if status == .delivered {
                try await sql.raw("UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = \(bind: subscription) AND failing_since IS NOT NULL")
                    .run()
            } else {
                try await sql.raw(
                    "UPDATE webhook_subscriptions SET failing_since = \(bind: at) WHERE id = \(bind: subscription) AND failing_since IS NULL"
                ).run()
            }
            return true
        }
    }

    public func webhookDeliveries(subscriptionId: String, status: WebhookDeliveryStatus?, limit: Int) async throws -> [WebhookDelivery] {
        try await database.read { sql in
            let filter: SQLQueryString = status.map { " AND status = \(bind: $0.rawValue)" } ?? ""
            return try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.webhookDeliveryColumns) FROM webhook_deliveries WHERE subscription_id = \(bind: subscriptionId)\(filter)
                ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)
                """
            ).all().map(Self.webhookDelivery(from:))
        }
    }

    public func webhookDelivery(id: String) async throws -> WebhookDelivery? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.webhookDeliveryColumns) FROM webhook_deliveries WHERE id = \(bind: id)").first()
                .map(Self.webhookDelivery(from:))
        }
    }

    public func replayWebhookDelivery(subscriptionId: String, id: String, at date: Date) async throws -> WebhookDelivery? {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE webhook_deliveries SET status = 'queued', attempts = 0, next_attempt_at = \(bind: Clock.millis(date)), lease_until = NULL
                WHERE id = \(bind: id) AND subscription_id = \(bind: subscriptionId) AND status <> 'sending'
                RETURNING \(unsafeRaw: Self.webhookDeliveryColumns)
                """
            ).first().map(Self.webhookDelivery(from:))
        }
    }

    public func replayFailedWebhookDeliveries(subscriptionId: String, at date: Date) async throws -> Int {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE webhook_deliveries SET status = 'queued', attempts = 0, next_attempt_at = \(bind: Clock.millis(date)), lease_until = NULL
                WHERE subscription_id = \(bind: subscriptionId) AND status = 'failed' RETURNING id
                """
            ).all().count
        }
    }
}
