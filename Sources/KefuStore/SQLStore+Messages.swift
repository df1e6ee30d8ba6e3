import Foundation
import KefuCore
import SQLKit

extension SQLStore: MessageRepository {
    static let messageColumns = """
        id, conversation_id, seq, direction, author_kind, author_id, body, channel_message_id, client_message_id, created_at, agent_code
        """

    static func message(from row: any SQLRow, attachments: [Attachment]) throws -> Message {
        var message = Message(
            id: MessageID(rawValue: try row.string("id")), conversationId: ConversationID(rawValue: try row.string("conversation_id")),
            seq: try row.int64("seq"), direction: try row.enumValue("direction", as: MessageDirection.self),
            author: Author(kind: try row.enumValue("author_kind", as: AuthorKind.self), id: try row.optionalString("author_id")),
            text: try row.string("body"), attachments: attachments, channelMessageId: try row.optionalString("channel_message_id"),
            clientMessageId: try row.optionalString("client_message_id"), createdAt: try row.date("created_at"))
        message.agentCode = try row.optionalString("agent_code")
        return message
    }

    static func attachments(forMessages ids: [String], on sql: any SQLDatabase) async throws -> [String: [Attachment]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.raw(
            """
            SELECT id, message_id, sha256, size, content_type, filename, created_at FROM attachments
            WHERE message_id IN (\(binds: ids)) ORDER BY created_at, id
            """
        ).all()
        var result: [String: [Attachment]] = [:]
        for row in rows { result[try row.string("message_id"), default: []].append(try attachment(from: row)) }
        return result
    }

    /// Takes the conversation's row lock inside the caller's transaction (PostgreSQL writes in
    /// parallel; every writer of a conversation takes it first) and returns its status and how
    /// often it was resolved; nil when it does not exist.
    static func lockConversation(_ id: String, on sql: any SQLDatabase) async throws -> (status: ConversationStatus, resolutions: Int)? {
        guard let row = try await sql.raw("UPDATE conversations SET updated_at = updated_at WHERE id = \(bind: id) RETURNING status, resolutions").first()
        else { return nil }
        return (try row.enumValue("status", as: ConversationStatus.self), try row.decode(column: "resolutions", as: Int.self))
    }

    /// Thrown inside the write transaction to roll back the sequence bump when the message exists.
    private struct AlreadyStored: Error { let result: AppendResult }

    public func appendMessage(conversationId: ConversationID, _ new: NewMessage) async throws -> AppendResult {
        let at = Clock.millis(now())
        do {
            return try await database.write { sql in
                try await Self.insertMessage(new, into: conversationId, at: at, on: sql)
            }
        } catch let stored as AlreadyStored {
            return stored.result
        }
    }

    public func message(id: MessageID) async throws -> Message? {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.messageColumns) FROM messages WHERE id = \(bind: id.rawValue)").first()
            else { return nil }
            return try Self.message(from: row, attachments: try await Self.attachments(forMessages: [id.rawValue], on: sql)[id.rawValue] ?? [])
        }
    }

    public func message(conversationId: ConversationID, clientMessageId: String) async throws -> Message? {
        try await database.read { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: Self.messageColumns) FROM messages
                    WHERE conversation_id = \(bind: conversationId.rawValue) AND client_message_id = \(bind: clientMessageId)
                    """
                ).first()
            else { return nil }
            let id = try row.string("id")
            return try Self.message(from: row, attachments: try await Self.attachments(forMessages: [id], on: sql)[id] ?? [])
        }
    }

    /// Stores one message inside the caller's write transaction and returns it.
    static func insertMessage(
        _ new: NewMessage, into conversationId: ConversationID, at: Int64, on sql: any SQLDatabase
    ) async throws -> AppendResult {
        let id = MessageID.timeOrdered()
        let conversation = conversationId.rawValue
        // The UPDATE takes the conversation's row lock first, so concurrent sends to one
        // conversation get consecutive sequence numbers and see each other's client ids. Its text
        // is the same for every message (values bound, never spliced in), so the prepared
        // statement is reused.
        let touchesLastMessage = new.direction != .system
        let isReply = new.direction == .outgoing && new.author.kind == .agent
        guard
            let row = try await sql.raw(
                """
                UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = \(bind: at), updated_at = \(bind: at),
                    last_message_at = CASE WHEN \(bind: touchesLastMessage) THEN \(bind: at) ELSE last_message_at END,
                    first_reply_at = CASE WHEN \(bind: isReply) THEN COALESCE(first_reply_at, \(bind: at)) ELSE first_reply_at END
                WHERE id = \(bind: conversation) RETURNING last_seq, contact_id, \(unsafeRaw: Self.slaConversationColumns)
                """
            ).first()
        else { throw StoreError.notFound("conversation") }
        let seq = try row.int64("last_seq")
        let contactId = ContactID(rawValue: try row.string("contact_id"))
        let inboxId = InboxID(rawValue: try row.string("inbox_id"))
        // An agent's reply to the customer carries the agent's code for this conversation today.
        var agentCode: String?
        if new.direction == .outgoing, new.author.kind == .agent, let agent = new.author.id {
            agentCode = try await Self.issueAgentCode(agent: agent, conversation: conversation, at: at, on: sql)
        }
        // A client id seen before in this conversation is a retry: the unique index finds it in
        // the same statement (no lookup first), and the retry gets the stored message while this
        // transaction, with its sequence number, rolls back.
        let inserted = try await sql.raw(
            """
            INSERT INTO messages (id, conversation_id, seq, direction, author_kind, author_id, body,
                channel_message_id, client_message_id, created_at, agent_code)
            VALUES (\(bind: id.rawValue), \(bind: conversation), \(bind: seq), \(bind: new.direction.rawValue),
                \(bind: new.author.kind.rawValue), \(bind: new.author.id), \(bind: new.text), \(bind: new.channelMessageId),
                \(bind: new.clientMessageId), \(bind: at), \(bind: agentCode))
            ON CONFLICT (conversation_id, client_message_id) DO NOTHING
            RETURNING seq
            """
        ).first()
        if inserted == nil, let clientId = new.clientMessageId,
            let row = try await sql.raw(
                "SELECT \(unsafeRaw: Self.messageColumns) FROM messages WHERE conversation_id = \(bind: conversation) AND client_message_id = \(bind: clientId)"
            ).first()
        {
            let existingId = try row.string("id")
            let attachments = try await Self.attachments(forMessages: [existingId], on: sql)[existingId] ?? []
            throw AlreadyStored(
                result: AppendResult(
                    message: try Self.message(from: row, attachments: attachments), created: false, contactId: contactId, inboxId: inboxId))
        }
        guard inserted != nil else { throw StoreError.conflict("message not stored") }
        // Customers' messages, replies and (for subscriptions that ask) notes reach webhooks;
        // system lines are history, not messages.
        if new.direction != .system {
            try await journal(
                .messageCreated, subject: id.rawValue, inbox: inboxId, detail: new.direction == .note ? ["private": "true"] : [:], at: at, on: sql)
        }
        var attachments: [Attachment] = []
        if !new.attachmentIds.isEmpty {
            let ids = new.attachmentIds.map(\.rawValue)
            let linked = try await sql.raw(
                """
                UPDATE attachments SET message_id = \(bind: id.rawValue)
                WHERE id IN (\(binds: ids)) AND message_id IS NULL
                    AND uploaded_by_kind = \(bind: new.author.kind.rawValue) AND uploaded_by_id = \(bind: new.author.id)
                RETURNING id
                """
            ).all()
            guard linked.count == Set(ids).count else { throw StoreError.conflict("attachment missing or already used") }
            attachments = try await Self.attachments(forMessages: [id.rawValue], on: sql)[id.rawValue] ?? []
        }
        // Most messages are in conversations no policy covers: the row just read says so.
        let policy = try row.optionalString("sla_policy_id")
        if policy != "" && policy != Self.unmeasured {
            try await advanceSLA(conversation, after: .message(new.direction, new.author.kind), at: at, current: row, on: sql)
        }
        var message = Message(
            id: id, conversationId: conversationId, seq: seq, direction: new.direction, author: new.author, text: new.text,
            attachments: attachments, channelMessageId: new.channelMessageId, clientMessageId: new.clientMessageId,
            createdAt: Clock.date(at))
        message.agentCode = agentCode
        return AppendResult(message: message, created: true, contactId: contactId, inboxId: inboxId)
    }

    public func messages(conversationId: ConversationID, since: Int64, limit: Int) async throws -> [Message] {
        try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.messageColumns) FROM messages
                WHERE conversation_id = \(bind: conversationId.rawValue) AND seq > \(bind: since)
                ORDER BY seq LIMIT \(literal: limit)
                """
            ).all()
            let ids = try rows.map { try $0.string("id") }
            let attachments = try await Self.attachments(forMessages: ids, on: sql)
            return try rows.map { row in try Self.message(from: row, attachments: attachments[try row.string("id")] ?? []) }
        }
    }
}

extension SQLStore: AttachmentRepository {
    static func attachment(from row: any SQLRow) throws -> Attachment {
        Attachment(
            id: AttachmentID(rawValue: try row.string("id")), sha256: try row.string("sha256"), size: try row.int64("size"),
            contentType: try row.string("content_type"), filename: try row.string("filename"), createdAt: try row.date("created_at"))
    }

    public func createAttachment(
        sha256: String, size: Int64, contentType: String, filename: String, uploadedBy: Author
    ) async throws -> Attachment {
        let id = AttachmentID.generate()
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO attachments (id, sha256, size, content_type, filename, uploaded_by_kind, uploaded_by_id, created_at)
                VALUES (\(bind: id.rawValue), \(bind: sha256), \(bind: size), \(bind: contentType), \(bind: filename),
                    \(bind: uploadedBy.kind.rawValue), \(bind: uploadedBy.id), \(bind: at))
                """
            ).run()
        }
        return Attachment(id: id, sha256: sha256, size: size, contentType: contentType, filename: filename, createdAt: Clock.date(at))
    }

    public func attachment(id: AttachmentID, visibleTo contactId: ContactID) async throws -> Attachment? {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT a.id, a.sha256, a.size, a.content_type, a.filename, a.created_at FROM attachments a
                LEFT JOIN messages m ON m.id = a.message_id
                LEFT JOIN conversations c ON c.id = m.conversation_id
                WHERE a.id = \(bind: id.rawValue)
                    AND ((a.uploaded_by_kind = 'contact' AND a.uploaded_by_id = \(bind: contactId.rawValue))
                        OR (c.contact_id = \(bind: contactId.rawValue) AND m.direction <> 'note'))
                """
            ).first().map(Self.attachment(from:))
        }
    }

    public func attachment(id: AttachmentID) async throws -> Attachment? {
        try await database.read { sql in
            try await sql.raw(
                "SELECT id, sha256, size, content_type, filename, created_at FROM attachments WHERE id = \(bind: id.rawValue)"
            ).first().map(Self.attachment(from:))
        }
    }
}

extension SQLStore: AuditRepository {
    public func appendAudit(_ event: AuditEvent) async throws {
        try await database.write { sql in try await insertAudit(event, on: sql) }
    }

    public func auditEntries(before id: Int64?, limit: Int) async throws -> [AuditEntry] {
        let clause: SQLQueryString = id.map { "WHERE id < \(bind: $0)" } ?? ""
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT id, at, actor_kind, actor_id, action, subject_kind, subject_id, detail, client_address
                FROM audit_log \(clause) ORDER BY id DESC LIMIT \(literal: limit)
                """
            ).all().map { row in
                let detail = try JSONDecoder().decode([String: String].self, from: Data(try row.string("detail").utf8))
                return AuditEntry(
                    id: try row.int64("id"), at: try row.date("at"),
                    actor: Author(kind: try row.enumValue("actor_kind", as: AuthorKind.self), id: try row.optionalString("actor_id")),
                    action: try row.string("action"), subjectKind: try row.string("subject_kind"),
                    subjectId: try row.optionalString("subject_id"), detail: detail, clientAddress: try row.optionalString("client_address"))
            }
        }
    }
}

extension SQLStore: SettingsRepository {
    public func setting(_ key: String) async throws -> String? {
        try await database.read { sql in
            try await sql.raw("SELECT value FROM settings WHERE key = \(bind: key)").first()?.string("value")
        }
    }

    public func setSetting(_ key: String, value: String, audit: AuditEvent?) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO settings (key, value, updated_at) VALUES (\(bind: key), \(bind: value), \(bind: at))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """
            ).run()
            if let audit { try await insertAudit(audit, on: sql) }
        }
    }
}
