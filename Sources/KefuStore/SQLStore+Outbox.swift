import Foundation
import KefuCore
import SQLKit

/// The durable outbox: mail queued once per dedup key, leased to one sender at a time, retried.
extension SQLStore {
    static let outboxColumns = """
        id, kind, conversation_id, message_ref, mail_from, recipients, message_id, subject, raw_sha256, status, attempts,
        next_attempt_at, last_error, created_at, sent_at
        """

    static func outboxMail(from row: any SQLRow) throws -> OutboxMail {
        OutboxMail(
            id: try row.string("id"), kind: try row.enumValue("kind", as: OutboxKind.self),
            conversationId: try row.optionalString("conversation_id").map(ConversationID.init(rawValue:)),
            messageRef: try row.optionalString("message_ref").map(MessageID.init(rawValue:)), mailFrom: try row.string("mail_from"),
            recipients: (try? JSONDecoder().decode([String].self, from: Data(try row.string("recipients").utf8))) ?? [],
            messageId: try row.string("message_id"), subject: try row.string("subject"), rawSha256: try row.string("raw_sha256"),
            status: try row.enumValue("status", as: OutboxStatus.self), attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.date("next_attempt_at"), lastError: try row.optionalString("last_error"),
            createdAt: try row.date("created_at"), sentAt: try row.decode(column: "sent_at", as: Int64?.self).map(Clock.date))
    }

    public func enqueueMail(_ mail: NewOutboxMail) async throws -> (mail: OutboxMail, created: Bool) {
        let at = Clock.millis(now())
        let id = UUID().uuidString.lowercased()
        let recipients = String(decoding: try JSONEncoder().encode(mail.recipients), as: UTF8.self)
        return try await database.write { sql in
            // Two instances may queue the same mail at once (a sweep, a timer): the key decides,
            // and the second gets the first one's row instead of an error.
            let inserted = try await sql.raw(
                """
                INSERT INTO outbox (id, kind, dedup_key, conversation_id, message_ref, mail_from, recipients, message_id, subject,
                    raw_sha256, status, attempts, next_attempt_at, created_at)
                VALUES (\(bind: id), \(bind: mail.kind.rawValue), \(bind: mail.dedupKey), \(bind: mail.conversationId?.rawValue),
                    \(bind: mail.messageRef?.rawValue), \(bind: mail.mailFrom), \(bind: recipients), \(bind: mail.messageId),
                    \(bind: mail.subject), \(bind: mail.rawSha256), \(bind: (mail.local ? OutboxStatus.local : .queued).rawValue), 0,
                    \(bind: mail.notBefore.map(Clock.millis) ?? at), \(bind: at))
                ON CONFLICT (dedup_key) DO NOTHING RETURNING id
                """
            ).first() != nil
            guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox WHERE dedup_key = \(bind: mail.dedupKey)").first()
            else { throw StoreError.notFound("outbox mail") }
            return (try Self.outboxMail(from: row), inserted)
        }
    }

    public func composeOutboxMail(id: String, _ composed: ComposedOutboxMail) async throws -> Bool {
        let recipients = String(decoding: try JSONEncoder().encode(composed.recipients), as: UTF8.self)
        return try await database.write { sql in
            try await sql.raw(
                """
                UPDATE outbox SET mail_from = \(bind: composed.mailFrom), recipients = \(bind: recipients),
                    subject = \(bind: composed.subject), raw_sha256 = \(bind: composed.rawSha256)
                WHERE id = \(bind: id) AND raw_sha256 = ''
                RETURNING id
                """
            ).first() != nil
        }
    }

    public func claimDueMail(now date: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxMail] {
        let at = Clock.millis(date)
        let until = Clock.millis(date.addingTimeInterval(lease))
        // Several instances claim at once on PostgreSQL: the subquery is not evaluated again when a
        // row it chose was claimed meanwhile, so without SKIP LOCKED two could send one mail.
        let skipLocked = flavor == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await database.write { sql in
            // Due: queued and its time has come, or "sending" under a lease that ran out (the
            // sender crashed mid-send; the mail goes again with the same Message-ID).
            try await sql.raw(
                """
                UPDATE outbox SET status = 'sending', lease_until = \(bind: until), attempts = attempts + 1
                WHERE id IN (
                    SELECT id FROM outbox
                    WHERE (status = 'queued' AND next_attempt_at <= \(bind: at)) OR (status = 'sending' AND lease_until < \(bind: at))
                    ORDER BY next_attempt_at, id LIMIT \(bind: limit)\(unsafeRaw: skipLocked))
                RETURNING \(unsafeRaw: Self.outboxColumns)
                """
            ).all().map(Self.outboxMail(from:))
        }
    }

    @discardableResult public func markMailSent(_ claim: OutboxMail, at: Date) async throws -> Bool {
        try await settle(claim, "status = 'sent', sent_at = \(bind: Clock.millis(at)), lease_until = NULL, last_error = NULL")
    }

    @discardableResult public func markMailRetry(_ claim: OutboxMail, error: String, nextAttemptAt: Date) async throws -> Bool {
        try await settle(
            claim,
            """
            status = 'queued', lease_until = NULL, last_error = \(bind: String(error.prefix(500))),
                next_attempt_at = \(bind: Clock.millis(nextAttemptAt))
            """)
    }

    @discardableResult public func markMailFailed(_ claim: OutboxMail, error: String) async throws -> Bool {
        try await settle(claim, "status = 'failed', lease_until = NULL, last_error = \(bind: String(error.prefix(500)))")
    }

    @discardableResult public func markMail(_ claim: OutboxMail, status: OutboxStatus) async throws -> Bool {
        try await settle(claim, "status = \(bind: status.rawValue), lease_until = NULL")
    }

    private func settle(_ claim: OutboxMail, _ assignments: SQLQueryString) async throws -> Bool {
        try await settleClaim(in: "outbox", id: claim.id, attempts: claim.attempts, assignments)
    }

    /// Records a claim's outcome if the claim is still the row's latest: each claim adds one to
    /// `attempts`, so a sender that stalled past its lease (the row taken over, perhaps sent and
    /// marked already) finds its attempt number outdated and changes nothing. Shared by the
    /// outboxes of mail and of the other channels.
    func settleClaim(in table: String, id: String, attempts: Int, _ assignments: SQLQueryString) async throws -> Bool {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE \(unsafeRaw: table) SET \(assignments)
                WHERE id = \(bind: id) AND status = 'sending' AND attempts = \(bind: attempts)
                RETURNING id
                """
            ).first() != nil
        }
    }

    public func outbox(status: OutboxStatus?, limit: Int) async throws -> [OutboxMail] {
        try await database.read { sql in
            let filter: SQLQueryString = status.map { "WHERE status = \(bind: $0.rawValue)" } ?? ""
            return try await sql.raw(
                "SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox \(filter) ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)"
            ).all().map(Self.outboxMail(from:))
        }
    }

    public func outboxMail(id: String) async throws -> OutboxMail? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox WHERE id = \(bind: id)").first().map(Self.outboxMail(from:))
        }
    }

    public func outbox(messageRefs: [MessageID]) async throws -> [MessageID: OutboxMail] {
        guard !messageRefs.isEmpty else { return [:] }
        return try await database.read { sql in
            let rows = try await sql.raw(
                "SELECT \(unsafeRaw: Self.outboxColumns) FROM outbox WHERE message_ref IN (\(binds: messageRefs.map(\.rawValue)))"
            ).all()
            var result: [MessageID: OutboxMail] = [:]
            for row in rows {
                let mail = try Self.outboxMail(from: row)
                if let ref = mail.messageRef { result[ref] = mail }
            }
            return result
        }
    }

    public func unsentReplies(since: Date, limit: Int) async throws -> [Message] {
        try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.messageColumns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", "))
                FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN inboxes i ON i.id = c.inbox_id
                WHERE i.kind = 'email' AND m.direction = 'outgoing' AND m.created_at >= \(bind: Clock.millis(since))
                    AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_ref = m.id)
                ORDER BY m.created_at LIMIT \(bind: limit)
                """
            ).all()
            let ids = try rows.map { try $0.string("id") }
            let attachments = try await Self.attachments(forMessages: ids, on: sql)
            return try rows.map { row in try Self.message(from: row, attachments: attachments[try row.string("id")] ?? []) }
        }
    }
}
