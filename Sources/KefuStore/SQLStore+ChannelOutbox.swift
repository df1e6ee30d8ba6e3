import Foundation
import KefuCore
import SQLKit

/// The durable outbox of channels other than mail: queued once per dedup key, leased to one
/// sender at a time, sent part by part with each accepted part remembered.
extension SQLStore: ChannelOutboxRepository {
    static let deliveryColumns = """
        id, kind, inbox_id, dedup_key, conversation_id, message_ref, target, payload, sent_parts, status, attempts, next_attempt_at,
        last_error, created_at, sent_at
        """

    static func delivery(from row: any SQLRow) throws -> ChannelDelivery {
        let decoder = JSONDecoder()
        return ChannelDelivery(
            id: try row.string("id"), kind: try row.enumValue("kind", as: ChannelDeliveryKind.self),
            inboxId: InboxID(rawValue: try row.string("inbox_id")), dedupKey: try row.string("dedup_key"),
            conversationId: try row.optionalString("conversation_id").map(ConversationID.init(rawValue:)),
            messageRef: try row.optionalString("message_ref").map(MessageID.init(rawValue:)), target: try row.string("target"),
            payload: try decoder.decode(ChannelPayload.self, from: Data(try row.string("payload").utf8)),
            sentParts: try decoder.decode([String: String].self, from: Data(try row.string("sent_parts").utf8)),
            status: try row.enumValue("status", as: OutboxStatus.self), attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.date("next_attempt_at"), lastError: try row.optionalString("last_error"),
            createdAt: try row.date("created_at"), sentAt: try row.decode(column: "sent_at", as: Int64?.self).map(Clock.date))
    }

    public func enqueueDelivery(_ new: NewChannelDelivery) async throws -> (delivery: ChannelDelivery, created: Bool) {
        let at = Clock.millis(now())
        return try await database.write { sql in
            try await Self.insertDelivery(new, at: at, on: sql)
        }
    }

    /// Queues a delivery inside the caller's write transaction (once per dedup key).
    static func insertDelivery(_ new: NewChannelDelivery, at: Int64, on sql: any SQLDatabase) async throws -> (delivery: ChannelDelivery, created: Bool) {
        let id = UUID().uuidString.lowercased()
        let payload = String(decoding: try JSONEncoder.sorted.encode(new.payload), as: UTF8.self)
        // Once per dedup key, also when two writers race (a reply and the reconciliation sweep).
        let inserted = try await sql.raw(
            """
            INSERT INTO channel_outbox (id, inbox_id, kind, dedup_key, conversation_id, message_ref, target, payload, sent_parts,
                status, attempts, next_attempt_at, created_at)
            VALUES (\(bind: id), \(bind: new.inboxId.rawValue), \(bind: new.kind.rawValue), \(bind: new.dedupKey),
                \(bind: new.conversationId?.rawValue), \(bind: new.messageRef?.rawValue), \(bind: new.target), \(bind: payload), '{}',
                'queued', 0, \(bind: at), \(bind: at))
            ON CONFLICT (dedup_key) DO NOTHING RETURNING id
            """
        ).first() != nil
        guard let row = try await sql.raw("SELECT \(unsafeRaw: deliveryColumns) FROM channel_outbox WHERE dedup_key = \(bind: new.dedupKey)").first()
        else { throw StoreError.notFound("delivery") }
        return (try delivery(from: row), inserted)
    }

    public func claimDueDeliveries(inboxKind: InboxKind, now date: Date, lease: TimeInterval, limit: Int) async throws -> [ChannelDelivery] {
        let skipLocked = flavor == .postgres ? " FOR UPDATE OF o SKIP LOCKED" : ""
        let at = Clock.millis(date)
        let until = Clock.millis(date.addingTimeInterval(lease))
        return try await database.write { sql in
            // Due: queued and its time has come, or "sending" under a lease that ran out (the
            // sender crashed mid-send; the parts it kept are not sent again).
            try await sql.raw(
                """
                UPDATE channel_outbox SET status = 'sending', lease_until = \(bind: until), attempts = attempts + 1
                WHERE id IN (
                    SELECT o.id FROM channel_outbox o JOIN inboxes i ON i.id = o.inbox_id
                    WHERE i.kind = \(bind: inboxKind.rawValue)
                        AND ((o.status = 'queued' AND o.next_attempt_at <= \(bind: at)) OR (o.status = 'sending' AND o.lease_until < \(bind: at)))
                    ORDER BY o.next_attempt_at, o.id LIMIT \(bind: limit)\(unsafeRaw: skipLocked))
                RETURNING \(unsafeRaw: Self.deliveryColumns)
                """
            ).all().map(Self.delivery(from:))
        }
    }

    public func markDeliveryPart(id: String, part: String, channelId: String) async throws {
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT sent_parts FROM channel_outbox WHERE id = \(bind: id)").first() else {
                throw StoreError.notFound("delivery")
            }
            var parts = try JSONDecoder().decode([String: String].self, from: Data(try row.string("sent_parts").utf8))
            parts[part] = channelId
            let encoded = String(decoding: try JSONEncoder.sorted.encode(parts), as: UTF8.self)
            try await sql.raw("UPDATE channel_outbox SET sent_parts = \(bind: encoded) WHERE id = \(bind: id)").run()
        }
    }

    @discardableResult public func markDeliverySent(_ claim: ChannelDelivery, at: Date) async throws -> Bool {
        try await settle(claim, "status = 'sent', sent_at = \(bind: Clock.millis(at)), lease_until = NULL, last_error = NULL")
    }

    @discardableResult public func markDeliveryRetry(_ claim: ChannelDelivery, error: String, nextAttemptAt: Date) async throws -> Bool {
        try await settle(
            claim,
            """
            status = 'queued', lease_until = NULL, last_error = \(bind: String(error.prefix(500))),
                next_attempt_at = \(bind: Clock.millis(nextAttemptAt))
            """)
    }

    @discardableResult public func deferDelivery(_ claim: ChannelDelivery, until: Date) async throws -> Bool {
        try await settle(claim, "status = 'queued', lease_until = NULL, attempts = attempts - 1, next_attempt_at = \(bind: Clock.millis(until))")
    }

    @discardableResult public func markDeliveryFailed(_ claim: ChannelDelivery, error: String) async throws -> Bool {
        try await settle(claim, "status = 'failed', lease_until = NULL, last_error = \(bind: String(error.prefix(500)))")
    }

    /// Only while the claim is the delivery's latest (`settleClaim`); a deferral takes its own
    /// attempt back before anyone can claim again, so attempt numbers still tell claims apart.
    private func settle(_ claim: ChannelDelivery, _ assignments: SQLQueryString) async throws -> Bool {
        try await settleClaim(in: "channel_outbox", id: claim.id, attempts: claim.attempts, assignments)
    }

    public func delivery(id: String) async throws -> ChannelDelivery? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.deliveryColumns) FROM channel_outbox WHERE id = \(bind: id)").first()
                .map(Self.delivery(from:))
        }
    }

    public func deliveries(messageRefs: [MessageID]) async throws -> [MessageID: ChannelDelivery] {
        guard !messageRefs.isEmpty else { return [:] }
        return try await database.read { sql in
            let rows = try await sql.raw(
                "SELECT \(unsafeRaw: Self.deliveryColumns) FROM channel_outbox WHERE message_ref IN (\(binds: messageRefs.map(\.rawValue)))"
            ).all()
            var result: [MessageID: ChannelDelivery] = [:]
            for row in rows {
                let delivery = try Self.delivery(from: row)
                if let ref = delivery.messageRef { result[ref] = delivery }
            }
            return result
        }
    }

    public func unsentChannelReplies(inboxKind: InboxKind, since: Date, limit: Int) async throws -> [Message] {
        try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.messageColumns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", "))
                FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN inboxes i ON i.id = c.inbox_id
                    JOIN channel_threads t ON t.conversation_id = c.id AND t.thread_key LIKE 'chat:%'
                WHERE i.kind = \(bind: inboxKind.rawValue) AND m.direction = 'outgoing' AND m.created_at >= \(bind: Clock.millis(since))
                    AND NOT EXISTS (SELECT 1 FROM channel_outbox o WHERE o.message_ref = m.id)
                ORDER BY m.created_at LIMIT \(bind: limit)
                """
            ).all()
            let ids = try rows.map { try $0.string("id") }
            let attachments = try await Self.attachments(forMessages: ids, on: sql)
            return try rows.map { row in try Self.message(from: row, attachments: attachments[try row.string("id")] ?? []) }
        }
    }
}
