import Foundation
import KefuCore
import SQLKit

extension SQLStore: InboxRepository {
    static let inboxColumns =
        """
        id, name, kind, prechat_form, email_address, created_at, csat_enabled,
        (SELECT username FROM telegram_bots b WHERE b.inbox_id = inboxes.id) AS telegram_username,
        (SELECT announce_chats FROM telegram_bots b WHERE b.inbox_id = inboxes.id) AS telegram_chats,
        (SELECT id FROM webhook_subscriptions w WHERE w.inbox_id = inboxes.id ORDER BY w.created_at, w.id LIMIT 1) AS callback_id,
        (SELECT url FROM webhook_subscriptions w WHERE w.inbox_id = inboxes.id ORDER BY w.created_at, w.id LIMIT 1) AS callback_url
        """

    static func inbox(from row: any SQLRow) throws -> Inbox {
        // NULL means "the standard form": inboxes made before forms were configurable ask it.
        let form = try row.optionalString("prechat_form").map { try JSONDecoder().decode(PrechatForm.self, from: Data($0.utf8)) }
        var inbox = Inbox(
            id: InboxID(rawValue: try row.string("id")), name: try row.string("name"),
            kind: try row.enumValue("kind", as: InboxKind.self), prechatForm: form, emailAddress: try row.optionalString("email_address"),
            telegram: try row.optionalString("telegram_username").map { username in
                let chats = try row.optionalString("telegram_chats").flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
                return TelegramBotProfile(username: username, announceChats: chats ?? [])
            },
            api: try row.optionalString("callback_id").map { APIInboxProfile(callbackUrl: try row.optionalString("callback_url"), webhookId: $0) },
            createdAt: try row.date("created_at"))
        inbox.csatEnabled = try row.bool("csat_enabled")
        return inbox
    }

    public func createInbox(name: String, kind: InboxKind, audit: AuditEvent?) async throws -> Inbox {
        let id = InboxID.generate()
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                "INSERT INTO inboxes (id, name, kind, created_at) VALUES (\(bind: id.rawValue), \(bind: name), \(bind: kind.rawValue), \(bind: at))"
            ).run()
            if var audit {
                audit.subjectId = id.rawValue
                try await insertAudit(audit, on: sql)
            }
        }
        return Inbox(id: id, name: name, kind: kind, createdAt: Clock.date(at))
    }

    public func inbox(id: InboxID) async throws -> Inbox? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.inboxColumns) FROM inboxes WHERE id = \(bind: id.rawValue)").first()
                .map(Self.inbox(from:))
        }
    }

    public func updateInbox(id: InboxID, name: String?, prechatForm: PrechatForm?, audit: AuditEvent?) async throws -> Inbox {
        let formJSON = try prechatForm.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        return try await database.write { sql in
            try await sql.raw(
                """
                UPDATE inboxes SET name = COALESCE(\(bind: name), name), prechat_form = COALESCE(\(bind: formJSON), prechat_form)
                WHERE id = \(bind: id.rawValue)
                """
            ).run()
            guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.inboxColumns) FROM inboxes WHERE id = \(bind: id.rawValue)").first()
            else { throw StoreError.notFound("inbox") }
            if let audit { try await insertAudit(audit, on: sql) }
            return try Self.inbox(from: row)
        }
    }

    public func listInboxes() async throws -> [Inbox] {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.inboxColumns) FROM inboxes ORDER BY created_at, id").all().map(Self.inbox(from:))
        }
    }
}

extension SQLStore: TeamRepository {
    static func team(from row: any SQLRow) throws -> Team {
        Team(id: TeamID(rawValue: try row.string("id")), name: try row.string("name"), createdAt: try row.date("created_at"))
    }

    public func createTeam(name: String, audit: AuditEvent?) async throws -> Team {
        let id = TeamID.generate()
        let at = Clock.millis(now())
        do {
            try await database.write { sql in
                try await sql.raw("INSERT INTO teams (id, name, created_at) VALUES (\(bind: id.rawValue), \(bind: name), \(bind: at))").run()
                if var audit {
                    audit.subjectId = id.rawValue
                    try await insertAudit(audit, on: sql)
                }
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("a team with this name exists")
        }
        return Team(id: id, name: name, createdAt: Clock.date(at))
    }

    public func team(id: TeamID) async throws -> Team? {
        try await database.read { sql in
            try await sql.raw("SELECT id, name, created_at FROM teams WHERE id = \(bind: id.rawValue)").first().map(Self.team(from:))
        }
    }

    public func listTeams() async throws -> [Team] {
        try await database.read { sql in
            try await sql.raw("SELECT id, name, created_at FROM teams ORDER BY name").all().map(Self.team(from:))
        }
    }
}

extension SQLStore: ContactRepository {
    static func contact(from row: any SQLRow) throws -> Contact {
        Contact(
            id: ContactID(rawValue: try row.string("id")), name: try row.optionalString("name"),
            email: try row.optionalString("email"), locale: try row.optionalString("locale"), createdAt: try row.date("created_at"))
    }

    public func createContact(name: String?, email: String?, locale: String?) async throws -> Contact {
        let id = ContactID.generate()
        let at = Clock.millis(now())
        let email = email.map(EmailAddress.normalize)
        do {
            try await database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO contacts (id, name, email, locale, created_at, updated_at)
                    VALUES (\(bind: id.rawValue), \(bind: name), \(bind: email), \(bind: locale), \(bind: at), \(bind: at))
                    """
                ).run()
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("a contact with this email exists")
        }
        return Contact(id: id, name: name, email: email, locale: locale, createdAt: Clock.date(at))
    }

    public func contact(id: ContactID) async throws -> Contact? {
        try await database.read { sql in
            try await sql.raw("SELECT id, name, email, locale, created_at FROM contacts WHERE id = \(bind: id.rawValue)").first().map(Self.contact(from:))
        }
    }

    public func contact(email: String) async throws -> Contact? {
        let email = EmailAddress.normalize(email)
        return try await database.read { sql in
            try await sql.raw("SELECT id, name, email, locale, created_at FROM contacts WHERE email = \(bind: email)").first().map(Self.contact(from:))
        }
    }
}

extension SQLStore {
    public func contacts(ids: [ContactID]) async throws -> [ContactID: Contact] {
        let unique = Array(Set(ids.map(\.rawValue)))
        guard !unique.isEmpty else { return [:] }
        return try await database.read { sql in
            let rows = try await sql.raw(
                "SELECT id, name, email, locale, created_at FROM contacts WHERE id IN (\(binds: unique))"
            ).all()
            var result: [ContactID: Contact] = [:]
            for row in rows {
                let contact = try Self.contact(from: row)
                result[contact.id] = contact
            }
            return result
        }
    }
}

extension SQLStore: ConversationRepository {
    static let conversationColumns = """
        id, number, inbox_id, contact_id, subject, status, priority, assignee_id, team_id, last_seq, contact_read_seq,
        agent_read_seq, last_message_at,
        last_activity_at, snoozed_until, created_at, updated_at, sla_due_at, sla_breached, csat_rating, csat_comment, secret_exposed_at
        """

    static func conversation(from row: any SQLRow, labels: [String]) throws -> Conversation {
        var conversation = Conversation(
            id: ConversationID(rawValue: try row.string("id")), number: try row.int64("number"),
            inboxId: InboxID(rawValue: try row.string("inbox_id")), contactId: ContactID(rawValue: try row.string("contact_id")),
            subject: try row.optionalString("subject"), status: try row.enumValue("status", as: ConversationStatus.self),
            priority: try row.enumValue("priority", as: ConversationPriority.self),
            assigneeId: try row.optionalString("assignee_id").map(AgentID.init(rawValue:)),
            teamId: try row.optionalString("team_id").map(TeamID.init(rawValue:)), labels: labels,
            lastSeq: try row.int64("last_seq"), lastMessageAt: try row.optionalDate("last_message_at"),
            snoozedUntil: try row.optionalDate("snoozed_until"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
        conversation.contactReadSeq = try row.int64("contact_read_seq")
        conversation.agentReadSeq = try row.int64("agent_read_seq")
        conversation.secretExposedAt = try row.optionalDate("secret_exposed_at")
        let due = try row.optionalDate("sla_due_at")
        let breached = try row.bool("sla_breached")
        if due != nil || breached { conversation.sla = ConversationSLA(dueAt: due, breached: breached) }
        if let rating = try row.decode(column: "csat_rating", as: Int?.self) {
            conversation.csat = SurveyAnswer(rating: rating, comment: try row.optionalString("csat_comment"))
        }
        return conversation
    }

    public func markRead(conversationId: ConversationID, by reader: AuthorKind, upTo seq: Int64) async throws -> Bool {
        let column = reader == .contact ? "contact_read_seq" : "agent_read_seq"
        return try await database.write { sql in
            // Only forward, and never past what exists.
            try await sql.raw(
                """
                UPDATE conversations SET \(unsafeRaw: column) = \(bind: seq)
                WHERE id = \(bind: conversationId.rawValue) AND \(unsafeRaw: column) < \(bind: seq) AND \(bind: seq) <= last_seq
                RETURNING id
                """
            ).first() != nil
        }
    }

    /// Loads the labels of several conversations in one query.
    static func labels(for ids: [String], on sql: any SQLDatabase) async throws -> [String: [String]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.raw(
            "SELECT conversation_id, label FROM conversation_labels WHERE conversation_id IN (\(binds: ids)) ORDER BY label"
        ).all()
        var result: [String: [String]] = [:]
        for row in rows { result[try row.string("conversation_id"), default: []].append(try row.string("label")) }
        return result
    }

    static func loadConversation(id: String, on sql: any SQLDatabase) async throws -> Conversation? {
        guard let row = try await sql.raw("SELECT \(unsafeRaw: conversationColumns) FROM conversations WHERE id = \(bind: id)").first()
        else { return nil }
        return try conversation(from: row, labels: try await labels(for: [id], on: sql)[id] ?? [])
    }

    public func createConversation(inboxId: InboxID, contactId: ContactID, subject: String?) async throws -> Conversation {
        let at = Clock.millis(now())
        return try await database.write { sql in
            try await Self.insertConversation(inboxId: inboxId, contactId: contactId, subject: subject, at: at, on: sql)
        }
    }

    /// Creates a conversation with the next number inside the caller's write transaction.
    static func insertConversation(
        inboxId: InboxID, contactId: ContactID, subject: String?, at: Int64, on sql: any SQLDatabase
    ) async throws -> Conversation {
        let id = ConversationID.generate()
        guard
            let number = try await sql.raw(
                "UPDATE counters SET value = value + 1 WHERE name = 'conversation_number' RETURNING value"
            ).first()?.int64("value")
        else { throw StoreError.notFound("counter") }
        try await sql.raw(
            """
            INSERT INTO conversations (id, number, inbox_id, contact_id, subject, status, priority, last_seq,
                last_activity_at, created_at, updated_at)
            VALUES (\(bind: id.rawValue), \(bind: number), \(bind: inboxId.rawValue), \(bind: contactId.rawValue),
                \(bind: subject), 'open', 'none', 0, \(bind: at), \(bind: at), \(bind: at))
            """
        ).run()
        try await journal(.conversationCreated, subject: id.rawValue, inbox: inboxId, at: at, on: sql)
        guard let created = try await Self.loadConversation(id: id.rawValue, on: sql) else { throw StoreError.notFound("conversation") }
        return created
    }

    public func conversation(id: ConversationID) async throws -> Conversation? {
        try await database.read { sql in try await Self.loadConversation(id: id.rawValue, on: sql) }
    }

    func whereClause(_ filter: ConversationFilter) -> SQLQueryString {
        var clause: SQLQueryString = "1 = 1"
        if let status = filter.status { clause = "\(clause) AND status = \(bind: status.rawValue)" }
        if let inbox = filter.inboxId { clause = "\(clause) AND inbox_id = \(bind: inbox.rawValue)" }
        if let contact = filter.contactId { clause = "\(clause) AND contact_id = \(bind: contact.rawValue)" }
        switch filter.sla {
        case .breached?: clause = "\(clause) AND sla_breached = \(bind: true)"
        case .due?: clause = "\(clause) AND sla_due_at IS NOT NULL"
        case nil: break
        }
        if filter.order == .slaDue { clause = "\(clause) AND sla_due_at IS NOT NULL" }
        switch filter.assigneeId {
        case .none: break
        case .some(.none): clause = "\(clause) AND assignee_id IS NULL"
        case .some(.some(let agent)): clause = "\(clause) AND assignee_id = \(bind: agent.rawValue)"
        }
        return clause
    }

    public func listConversations(filter: ConversationFilter, after cursor: PageCursor?, limit: Int) async throws -> Page<Conversation> {
        var clause = whereClause(filter)
        let bySLA = filter.order == .slaDue
        let sortColumn = bySLA ? "sla_due_at" : "last_activity_at"
        if let cursor {
            clause =
                bySLA
                ? "\(clause) AND (sla_due_at > \(bind: cursor.sortKey) OR (sla_due_at = \(bind: cursor.sortKey) AND id > \(bind: cursor.id)))"
                : "\(clause) AND (last_activity_at < \(bind: cursor.sortKey) OR (last_activity_at = \(bind: cursor.sortKey) AND id < \(bind: cursor.id)))"
        }
        let query: SQLQueryString = """
            SELECT \(unsafeRaw: Self.conversationColumns) FROM conversations WHERE \(clause)
            ORDER BY \(unsafeRaw: bySLA ? "sla_due_at ASC, id ASC" : "last_activity_at DESC, id DESC") LIMIT \(literal: limit + 1)
            """
        return try await database.read { sql in
            let rows = try await sql.raw(query).all()
            let ids = try rows.prefix(limit).map { try $0.string("id") }
            let labels = try await Self.labels(for: ids, on: sql)
            let items = try rows.prefix(limit).map { row in
                try Self.conversation(from: row, labels: labels[try row.string("id")] ?? [])
            }
            var next: PageCursor?
            if rows.count > limit, let last = rows.prefix(limit).last {
                next = PageCursor(sortKey: try last.int64(sortColumn), id: try last.string("id"))
            }
            return Page(items: items, nextCursor: next)
        }
    }

    public func openLoad() async throws -> [AgentID: Int] {
        try await database.read { sql in try await Self.openLoad(on: sql) }
    }

    public func startConversation(_ start: ConversationStart, assign: AssignmentChoice?) async throws -> StartedConversation {
        let at = Clock.millis(now())
        let flavor = self.flavor
        return try await database.write { sql in
            if assign != nil { try await Self.takeAssignmentTurn(flavor, on: sql) }
            let created = try await Self.insertConversation(
                inboxId: start.inboxId, contactId: start.contactId, subject: start.subject, at: at, on: sql)
            let id = created.id
            for label in Set(start.labels) {
                try await sql.raw("INSERT INTO conversation_labels (conversation_id, label) VALUES (\(bind: id.rawValue), \(bind: label))").run()
            }
            let first = try await Self.insertMessage(start.firstMessage, into: id, at: at, on: sql)
            var assignment: Message?
            if let assign, let choice = try await Self.choose(assign, for: id, on: sql) {
                try await sql.raw(
                    "UPDATE conversations SET assignee_id = \(bind: choice.agent.rawValue), updated_at = \(bind: at) WHERE id = \(bind: id.rawValue)"
                ).run()
                try await insertAudit(choice.audit, on: sql)
                try await Self.journalConversationUpdate(id, inbox: start.inboxId, fields: ["assignee"], at: at, on: sql)
                assignment = try await Self.insertMessage(
                    .system(.changed(status: nil, assignee: .some(choice.agent))), into: id, at: at, on: sql
                ).message
            }
            guard let conversation = try await Self.loadConversation(id: id.rawValue, on: sql) else { throw StoreError.notFound("conversation") }
            return StartedConversation(conversation: conversation, first: first, assignment: assignment)
        }
    }

    public func updateConversation(
        id: ConversationID, change: ConversationChange, actor: Author?, audit: AuditEvent?
    ) async throws -> ConversationUpdate {
        let at = Clock.millis(now())
        return try await database.write { sql in
            // The row lock first (PostgreSQL writes in parallel): two resolves of one
            // conversation are one resolution, not two.
            _ = try await Self.lockConversation(id.rawValue, on: sql)
            guard let before = try await Self.loadConversation(id: id.rawValue, on: sql) else { throw StoreError.notFound("conversation") }
            var assignments: SQLQueryString = "updated_at = \(bind: at)"
            let resolving = change.status == .resolved && before.status != .resolved
            if let status = change.status {
                assignments = "\(assignments), status = \(bind: status.rawValue)"
                if resolving { assignments = "\(assignments), resolved_at = \(bind: at), resolutions = resolutions + 1" }
            }
            if let priority = change.priority { assignments = "\(assignments), priority = \(bind: priority.rawValue)" }
            if let assignee = change.assigneeId { assignments = "\(assignments), assignee_id = \(bind: assignee?.rawValue)" }
            if let team = change.teamId { assignments = "\(assignments), team_id = \(bind: team?.rawValue)" }
            if let snooze = change.snoozedUntil { assignments = "\(assignments), snoozed_until = \(bind: snooze.map(Clock.millis))" }
            guard
                try await sql.raw("UPDATE conversations SET \(assignments) WHERE id = \(bind: id.rawValue) RETURNING id").first() != nil
            else { throw StoreError.notFound("conversation") }
            if let labels = change.labels {
                try await sql.raw("DELETE FROM conversation_labels WHERE conversation_id = \(bind: id.rawValue)").run()
                for label in Set(labels) {
                    try await sql.raw("INSERT INTO conversation_labels (conversation_id, label) VALUES (\(bind: id.rawValue), \(bind: label))").run()
                }
            }
            if let audit { try await insertAudit(audit, on: sql) }
            var fields: [String] = []
            if let status = change.status, status != before.status { fields.append("status") }
            if let priority = change.priority, priority != before.priority { fields.append("priority") }
            if let assignee = change.assigneeId, assignee != before.assigneeId { fields.append("assignee") }
            if let team = change.teamId, team != before.teamId { fields.append("team") }
            if let labels = change.labels, Set(labels) != Set(before.labels) { fields.append("labels") }
            if let snooze = change.snoozedUntil, snooze != before.snoozedUntil { fields.append("snoozedUntil") }
            try await Self.journalConversationUpdate(id, inbox: before.inboxId, fields: fields, at: at, on: sql)
            var history: Message?
            if let actor,
                let event = SystemEvent.change(status: before.status, assignee: before.assigneeId, to: change.status, assignee: change.assigneeId)
            {
                history = try await Self.insertMessage(.system(event, by: actor), into: id, at: at, on: sql).message
            }
            if resolving { try await Self.scheduleSurvey(id.rawValue, at: at, on: sql) }
            // A history line already moved the clock; priority and labels may choose another policy.
            let reselect = fields.contains("priority") || fields.contains("labels")
            if history == nil || reselect { try await Self.advanceSLA(id.rawValue, after: .changed(reselect: reselect), at: at, on: sql) }
            guard let updated = try await Self.loadConversation(id: id.rawValue, on: sql) else { throw StoreError.notFound("conversation") }
            return ConversationUpdate(conversation: updated, historyMessage: history)
        }
    }
}
