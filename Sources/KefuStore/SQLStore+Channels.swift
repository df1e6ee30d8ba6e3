import Foundation
import KefuCore
import SQLKit

/// Inbound messages of channels without mail threading, and the Telegram bots.
extension SQLStore: ChannelThreadRepository {
    private struct DuplicateReceipt: Error {}

    public func receive(_ inbound: InboundMessage, inboxId: InboxID, reopenWindow: TimeInterval) async throws -> ChannelReceiveOutcome {
        // Two updates from one new customer at once: the loser of the race for the identity
        // (or the receipt) finds what the winner stored on its second attempt.
        do {
            return try await receiveOnce(inbound, inboxId: inboxId, reopenWindow: reopenWindow)
        } catch is DuplicateReceipt {
            return ChannelReceiveOutcome(duplicate: true)
        } catch where isUniqueViolation(error) {
            do {
                return try await receiveOnce(inbound, inboxId: inboxId, reopenWindow: reopenWindow)
            } catch is DuplicateReceipt {
                return ChannelReceiveOutcome(duplicate: true)
            }
        }
    }

    private func receiveOnce(_ inbound: InboundMessage, inboxId: InboxID, reopenWindow: TimeInterval) async throws -> ChannelReceiveOutcome {
        let at = Clock.millis(now())
        let flavor = self.flavor
        return try await database.write { sql in
            if try await sql.raw(
                "SELECT 1 AS seen FROM channel_receipts WHERE inbox_id = \(bind: inboxId.rawValue) AND receipt_key = \(bind: inbound.receiptKey)"
            ).first() != nil {
                throw DuplicateReceipt()
            }
            let conversationId: ConversationID
            let contact: Contact
            var newConversation = false
            var reopenMessage: Message?
            if let named = inbound.conversationId {
                // The channel names the conversation: it must be one of this inbox's; its
                // customer writes, and a resolved or snoozed one opens again.
                guard let conversation = try await Self.loadConversation(id: named.rawValue, on: sql), conversation.inboxId == inboxId,
                    let row = try await sql.raw(
                        "SELECT id, name, email, locale, created_at FROM contacts WHERE id = \(bind: conversation.contactId.rawValue)"
                    ).first()
                else { throw StoreError.notFound("conversation") }
                contact = try Self.contact(from: row)
                conversationId = named
                if conversation.status != .open {
                    try await sql.raw(
                        "UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = \(bind: at) WHERE id = \(bind: named.rawValue)"
                    ).run()
                    try await Self.journalConversationUpdate(named, inbox: inboxId, fields: ["status"], at: at, on: sql)
                    reopenMessage = try await Self.insertMessage(.system(.changed(status: .open, assignee: nil)), into: named, at: at, on: sql).message
                }
            } else {
                contact = try await Self.contact(for: inbound.sender, at: at, on: sql)
                // One customer's messages are threaded one at a time (PostgreSQL writes in
                // parallel): the second waits here and then sees the conversation the first made.
                if flavor == .postgres {
                    _ = try await sql.raw("SELECT id FROM contacts WHERE id = \(bind: contact.id.rawValue) FOR UPDATE").first()
                }
                let latest = try await sql.raw(
                    """
                    SELECT c.id, c.contact_id, c.status, c.last_activity_at FROM channel_threads t JOIN conversations c ON c.id = t.conversation_id
                    WHERE t.inbox_id = \(bind: inboxId.rawValue) AND t.contact_id = \(bind: contact.id.rawValue)
                        AND t.thread_key = \(bind: inbound.threadKey)
                    ORDER BY t.created_at DESC, c.number DESC LIMIT 1
                    """
                ).first().map(Self.candidate(from:))
                switch ChannelThreading.decide(latest: latest, now: Clock.date(at), reopenWindow: reopenWindow) {
                case .append(let id, let reopen):
                    conversationId = id
                    if reopen {
                        try await sql.raw(
                            "UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = \(bind: at) WHERE id = \(bind: id.rawValue)"
                        ).run()
                        try await Self.journalConversationUpdate(id, inbox: inboxId, fields: ["status"], at: at, on: sql)
                        reopenMessage = try await Self.insertMessage(.system(.changed(status: .open, assignee: nil)), into: id, at: at, on: sql).message
                    }
                    try await sql.raw(
                        "UPDATE channel_threads SET reply_to = \(bind: inbound.replyTo) WHERE conversation_id = \(bind: id.rawValue)"
                    ).run()
                case .newConversation:
                    let subject = inbound.subject.map { String($0.prefix(200)) }
                    conversationId = try await Self.insertConversation(
                        inboxId: inboxId, contactId: contact.id, subject: subject, at: at, on: sql
                    ).id
                    newConversation = true
                    try await sql.raw(
                        """
                        INSERT INTO channel_threads (conversation_id, inbox_id, contact_id, thread_key, reply_to, created_at)
                        VALUES (\(bind: conversationId.rawValue), \(bind: inboxId.rawValue), \(bind: contact.id.rawValue),
                            \(bind: inbound.threadKey), \(bind: inbound.replyTo), \(bind: at))
                        """
                    ).run()
                }
            }

            var attachmentIds = try await Self.insertInboundFiles(inbound.files, from: contact.id, at: at, on: sql)
            if !inbound.uploads.isEmpty, let uploader = inbound.uploader {
                let ids = inbound.uploads.map(\.rawValue)
                let claimed = try await sql.raw(
                    """
                    UPDATE attachments SET uploaded_by_kind = 'contact', uploaded_by_id = \(bind: contact.id.rawValue)
                    WHERE id IN (\(binds: ids)) AND message_id IS NULL
                        AND uploaded_by_kind = \(bind: uploader.kind.rawValue) AND uploaded_by_id = \(bind: uploader.id)
                    RETURNING id
                    """
                ).all()
                guard claimed.count == Set(ids).count else { throw StoreError.conflict("attachment missing or already used") }
                attachmentIds += inbound.uploads
            }
            var text = inbound.text.storable
            if text.count > InboundMessage.maxTextLength { text = String(text.prefix(InboundMessage.maxTextLength - 2)) + "\n…" }
            let appended = try await Self.insertMessage(
                NewMessage(
                    direction: .incoming, author: .contact(contact.id), text: text, attachmentIds: attachmentIds,
                    channelMessageId: inbound.channelMessageId),
                into: conversationId, at: at, on: sql)
            try await sql.raw(
                """
                INSERT INTO channel_receipts (inbox_id, receipt_key, conversation_id, message_ref, created_at)
                VALUES (\(bind: inboxId.rawValue), \(bind: inbound.receiptKey), \(bind: conversationId.rawValue),
                    \(bind: appended.message.id.rawValue), \(bind: at))
                """
            ).run()
            guard let conversation = try await Self.loadConversation(id: conversationId.rawValue, on: sql) else {
                throw StoreError.notFound("conversation")
            }
            return ChannelReceiveOutcome(
                duplicate: false, conversation: conversation, appended: appended, contact: contact, newConversation: newConversation,
                reopenMessage: reopenMessage)
        }
    }

    /// The contact of a channel identity: the one it names, else the one with the sender's
    /// email (the same address is the same customer on every channel), else a new one.
    static func contact(for sender: InboundMessage.Sender, at: Int64, on sql: any SQLDatabase) async throws -> Contact {
        let identity = Self.identity(sender.identity)
        let columns = "c.id, c.name, c.email, c.locale, c.created_at"
        if let row = try await sql.raw(
            """
            SELECT \(unsafeRaw: columns) FROM contact_identities i JOIN contacts c ON c.id = i.contact_id
            WHERE i.channel = \(bind: identity.channel) AND i.external_id = \(bind: identity.externalId)
            """
        ).first() {
            let known = try contact(from: row)
            if let account = sender.accountId {
                try await sql.raw(
                    "UPDATE accounts SET contact_id = \(bind: known.id.rawValue) WHERE id = \(bind: account.rawValue) AND contact_id IS NULL"
                ).run()
            }
            return known
        }
        let email = sender.email.map(EmailAddress.normalize)
        var found: Contact?
        // The account's holder, when the channel vouches for one: the same person as in the widget.
        var accountNeedsContact = false
        if let account = sender.accountId,
            let row = try await sql.raw("SELECT contact_id FROM accounts WHERE id = \(bind: account.rawValue)").first()
        {
            if let holder = try row.optionalString("contact_id") {
                found = try await sql.raw("SELECT \(unsafeRaw: columns) FROM contacts c WHERE c.id = \(bind: holder)").first().map(contact(from:))
            } else {
                accountNeedsContact = true
            }
        }
        if found == nil, let email {
            found = try await sql.raw("SELECT \(unsafeRaw: columns) FROM contacts c WHERE c.email = \(bind: email)").first().map(contact(from:))
        }
        let contact: Contact
        if let found {
            contact = found
        } else {
            let id = ContactID.generate()
            try await sql.raw(
                """
                INSERT INTO contacts (id, name, email, locale, created_at, updated_at)
                VALUES (\(bind: id.rawValue), \(bind: sender.name), \(bind: email), \(bind: sender.locale), \(bind: at), \(bind: at))
                """
            ).run()
            contact = Contact(id: id, name: sender.name, email: email, locale: sender.locale, createdAt: Clock.date(at))
        }
        if accountNeedsContact, let account = sender.accountId {
            try await sql.raw(
                "UPDATE accounts SET contact_id = \(bind: contact.id.rawValue) WHERE id = \(bind: account.rawValue) AND contact_id IS NULL"
            ).run()
        }
        try await sql.raw(
            """
            INSERT INTO contact_identities (contact_id, channel, external_id)
            VALUES (\(bind: contact.id.rawValue), \(bind: identity.channel), \(bind: identity.externalId))
            """
        ).run()
        return contact
    }

    public func receiveEdit(channelMessageId: String, text: String, inboxId: InboxID, receiptKey: String) async throws -> AppendResult? {
        let at = Clock.millis(now())
        do {
            return try await database.write { sql in
                if try await sql.raw(
                    "SELECT 1 AS seen FROM channel_receipts WHERE inbox_id = \(bind: inboxId.rawValue) AND receipt_key = \(bind: receiptKey)"
                ).first() != nil {
                    throw DuplicateReceipt()
                }
                guard
                    let row = try await sql.raw(
                        """
                        SELECT m.id, m.conversation_id, m.author_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                        WHERE m.channel_message_id = \(bind: channelMessageId) AND c.inbox_id = \(bind: inboxId.rawValue)
                            AND m.direction = 'incoming'
                        ORDER BY m.created_at LIMIT 1
                        """
                    ).first()
                else { return nil }
                let original = MessageID(rawValue: try row.string("id"))
                let conversationId = ConversationID(rawValue: try row.string("conversation_id"))
                let author = Author(kind: .contact, id: try row.optionalString("author_id"))
                var text = text.storable
                if text.count > InboundMessage.maxTextLength { text = String(text.prefix(InboundMessage.maxTextLength - 2)) + "\n…" }
                let appended = try await Self.insertMessage(
                    .system(.edited(message: original, text: text), by: author), into: conversationId, at: at, on: sql)
                try await sql.raw(
                    """
                    INSERT INTO channel_receipts (inbox_id, receipt_key, conversation_id, message_ref, created_at)
                    VALUES (\(bind: inboxId.rawValue), \(bind: receiptKey), \(bind: conversationId.rawValue),
                        \(bind: appended.message.id.rawValue), \(bind: at))
                    """
                ).run()
                return appended
            }
        } catch is DuplicateReceipt {
            return nil
        }
    }

    public func channelThread(conversationId: ConversationID) async throws -> ChannelThread? {
        try await database.read { sql in
            try await sql.raw(
                "SELECT conversation_id, inbox_id, thread_key, reply_to FROM channel_threads WHERE conversation_id = \(bind: conversationId.rawValue)"
            ).first().map { row in
                ChannelThread(
                    conversationId: ConversationID(rawValue: try row.string("conversation_id")), inboxId: InboxID(rawValue: try row.string("inbox_id")),
                    threadKey: try row.string("thread_key"), replyTo: try row.optionalString("reply_to"))
            }
        }
    }

    public func channelReceipt(inboxId: InboxID, key: String) async throws -> (conversationId: ConversationID?, messageId: MessageID?)? {
        try await database.read { sql in
            try await sql.raw(
                "SELECT conversation_id, message_ref FROM channel_receipts WHERE inbox_id = \(bind: inboxId.rawValue) AND receipt_key = \(bind: key)"
            ).first().map { row in
                (try row.optionalString("conversation_id").map(ConversationID.init(rawValue:)), try row.optionalString("message_ref").map(MessageID.init(rawValue:)))
            }
        }
    }

    /// "telegram:42" → channel "telegram", id "42" (the foundation's two columns).
    static func identity(_ identity: String) -> (channel: String, externalId: String) {
        let parts = identity.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }

    public func contact(identity: String) async throws -> Contact? {
        let identity = Self.identity(identity)
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT c.id, c.name, c.email, c.locale, c.created_at FROM contact_identities i JOIN contacts c ON c.id = i.contact_id
                WHERE i.channel = \(bind: identity.channel) AND i.external_id = \(bind: identity.externalId)
                """
            ).first().map(Self.contact(from:))
        }
    }
}

extension SQLStore: TelegramBotRepository {
    static let telegramBotColumns = "inbox_id, bot_id, username, token_sealed, webhook_secret_sealed, update_offset, mode, announce_chats"

    static func telegramBot(from row: any SQLRow) throws -> TelegramBotRecord {
        TelegramBotRecord(
            inboxId: InboxID(rawValue: try row.string("inbox_id")), botId: try row.int64("bot_id"), username: try row.string("username"),
            tokenSealed: try row.string("token_sealed"), webhookSecretSealed: try row.string("webhook_secret_sealed"),
            updateOffset: try row.int64("update_offset"), mode: try row.optionalString("mode"),
            announceChats: try JSONDecoder().decode([String].self, from: Data(try row.string("announce_chats").utf8)))
    }

    public func createTelegramInbox(name: String, bot: TelegramBotRecord, audit: AuditEvent?) async throws -> Inbox {
        let id = InboxID.generate()
        let at = Clock.millis(now())
        let chats = String(decoding: try JSONEncoder().encode(bot.announceChats), as: UTF8.self)
        do {
            try await database.write { sql in
                try await sql.raw(
                    "INSERT INTO inboxes (id, name, kind, created_at) VALUES (\(bind: id.rawValue), \(bind: name), 'telegram', \(bind: at))"
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO telegram_bots (inbox_id, bot_id, username, token_sealed, webhook_secret_sealed, update_offset, mode,
                        announce_chats, created_at, updated_at)
                    VALUES (\(bind: id.rawValue), \(bind: bot.botId), \(bind: bot.username), \(bind: bot.tokenSealed),
                        \(bind: bot.webhookSecretSealed), 0, NULL, \(bind: chats), \(bind: at), \(bind: at))
                    """
                ).run()
                if var audit {
                    audit.subjectId = id.rawValue
                    try await insertAudit(audit, on: sql)
                }
            }
        } catch where isUniqueViolation(error) {
            throw StoreError.conflict("telegram bot")
        }
        return Inbox(id: id, name: name, kind: .telegram, telegram: TelegramBotProfile(username: bot.username), createdAt: Clock.date(at))
    }

    public func telegramBot(inboxId: InboxID) async throws -> TelegramBotRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.telegramBotColumns) FROM telegram_bots WHERE inbox_id = \(bind: inboxId.rawValue)")
                .first().map(Self.telegramBot(from:))
        }
    }

    public func telegramBots() async throws -> [TelegramBotRecord] {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.telegramBotColumns) FROM telegram_bots ORDER BY created_at, inbox_id").all()
                .map(Self.telegramBot(from:))
        }
    }

    public func advanceTelegramOffset(inboxId: InboxID, to offset: Int64) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE telegram_bots SET update_offset = \(bind: offset), updated_at = \(bind: Clock.millis(now()))
                WHERE inbox_id = \(bind: inboxId.rawValue) AND update_offset < \(bind: offset)
                """
            ).run()
        }
    }

    public func setTelegramMode(inboxId: InboxID, mode: String) async throws -> String? {
        try await database.write { sql in
            let before = try await sql.raw("SELECT mode FROM telegram_bots WHERE inbox_id = \(bind: inboxId.rawValue)").first()?
                .optionalString("mode")
            try await sql.raw(
                "UPDATE telegram_bots SET mode = \(bind: mode), updated_at = \(bind: Clock.millis(now())) WHERE inbox_id = \(bind: inboxId.rawValue)"
            ).run()
            return before
        }
    }

    public func setTelegramAnnounceChats(inboxId: InboxID, chats: [String], audit: AuditEvent?) async throws {
        let encoded = String(decoding: try JSONEncoder().encode(chats), as: UTF8.self)
        try await database.write { sql in
            guard
                try await sql.raw(
                    """
                    UPDATE telegram_bots SET announce_chats = \(bind: encoded), updated_at = \(bind: Clock.millis(now()))
                    WHERE inbox_id = \(bind: inboxId.rawValue) RETURNING inbox_id
                    """
                ).first() != nil
            else { throw StoreError.notFound("inbox") }
            if let audit { try await insertAudit(audit, on: sql) }
        }
    }
}
