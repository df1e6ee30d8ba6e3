import Foundation
import KefuCore
import SQLKit

extension SQLStore: MailRepository {
    static let mailColumns =
        "id, message_id, conversation_id, message_ref, raw_sha256, size, from_address, subject, automatic, warnings, created_at"

    static func mailRecord(from row: any SQLRow) throws -> MailRecord {
        MailRecord(
            id: try row.string("id"), messageId: try row.string("message_id"),
            conversationId: try row.optionalString("conversation_id").map(ConversationID.init(rawValue:)),
            messageRef: try row.optionalString("message_ref").map(MessageID.init(rawValue:)), rawSha256: try row.string("raw_sha256"),
            size: try row.int64("size"), fromAddress: try row.optionalString("from_address"), subject: try row.string("subject"),
            automatic: try row.optionalString("automatic"),
            warnings: (try? JSONDecoder().decode([String].self, from: Data(try row.string("warnings").utf8))) ?? [],
            createdAt: try row.date("created_at"))
    }

    /// Thrown inside the transaction when the Message-ID is already stored.
    private struct DuplicateMail: Error { let mailId: String }

    public func ingestMail(_ mail: InboundMail, inboxId: InboxID, reopenWindow: TimeInterval) async throws -> MailIngestOutcome {
        // A first attempt can lose a race for the same new contact (two mails from one new
        // sender at once): the second attempt finds the contact the other one created.
        do {
            return try await ingestOnce(mail, inboxId: inboxId, reopenWindow: reopenWindow)
        } catch let duplicate as DuplicateMail {
            return MailIngestOutcome(mailId: duplicate.mailId, duplicate: true)
        } catch where isUniqueViolation(error) {
            if let existing = try await mailId(messageId: mail.messageId) { return MailIngestOutcome(mailId: existing, duplicate: true) }
            do {
                return try await ingestOnce(mail, inboxId: inboxId, reopenWindow: reopenWindow)
            } catch let duplicate as DuplicateMail {
                return MailIngestOutcome(mailId: duplicate.mailId, duplicate: true)
            }
        }
    }

    private func mailId(messageId: String) async throws -> String? {
        try await database.read { sql in
            try await sql.raw("SELECT id FROM mails WHERE message_id = \(bind: messageId)").first()?.string("id")
        }
    }

    private func ingestOnce(_ mail: InboundMail, inboxId: InboxID, reopenWindow: TimeInterval) async throws -> MailIngestOutcome {
        let at = Clock.millis(now())
        let nowDate = Clock.date(at)
        let mailId = UUID().uuidString.lowercased()
        return try await database.write { sql in
            if let existing = try await sql.raw("SELECT id FROM mails WHERE message_id = \(bind: mail.messageId)").first() {
                throw DuplicateMail(mailId: try existing.string("id"))
            }
            let warnings = String(decoding: try JSONEncoder().encode(mail.warnings), as: UTF8.self)
            let envelopeTo = String(decoding: try JSONEncoder().encode(mail.envelopeTo), as: UTF8.self)
            try await sql.raw(
                """
                INSERT INTO mails (id, message_id, raw_sha256, size, from_address, subject, automatic, warnings, envelope_from,
                    envelope_to, created_at)
                VALUES (\(bind: mailId), \(bind: mail.messageId), \(bind: mail.rawSha256), \(bind: mail.size), \(bind: mail.fromAddress),
                    \(bind: mail.subject), \(bind: mail.automatic), \(bind: warnings), \(bind: mail.envelopeFrom), \(bind: envelopeTo),
                    \(bind: at))
                """
            ).run()

            // The sender, as a contact (the same address is the same customer on every channel).
            var contact: Contact
            if let address = mail.fromAddress,
                let row = try await sql.raw("SELECT id, name, email, locale, created_at FROM contacts WHERE email = \(bind: address)").first()
            {
                contact = try Self.contact(from: row)
            } else {
                let id = ContactID.generate()
                try await sql.raw(
                    """
                    INSERT INTO contacts (id, name, email, locale, created_at, updated_at)
                    VALUES (\(bind: id.rawValue), \(bind: mail.fromName), \(bind: mail.fromAddress), \(bind: mail.locale), \(bind: at), \(bind: at))
                    """
                ).run()
                contact = Contact(id: id, name: mail.fromName, email: mail.fromAddress, locale: mail.locale, createdAt: Clock.date(at))
            }

            var byNumber: MailThreading.Candidate?
            if let number = mail.conversationNumber { byNumber = try await Self.candidate(byNumber: number, on: sql) }
            let decision = MailThreading.decide(
                byReference: try await Self.candidate(byMessageIds: mail.threadIds, on: sql),
                byToken: try await Self.candidate(byToken: mail.replyTokens, on: sql), byNumber: byNumber,
                sender: contact.id, now: nowDate, reopenWindow: reopenWindow)

            var conversationId: ConversationID
            var newConversation = false
            var reopenMessage: Message?
            switch decision {
            case .append(let id, let reopen):
                conversationId = id
                // An out-of-office answer (to a survey, a reply) is kept but reopens nothing.
                if reopen, mail.automatic == nil {
                    try await sql.raw(
                        "UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = \(bind: at) WHERE id = \(bind: id.rawValue)"
                    ).run()
                    try await Self.journalConversationUpdate(id, inbox: inboxId, fields: ["status"], at: at, on: sql)
                    reopenMessage =
                        try await Self.insertMessage(
                            .system(.changed(status: .open, assignee: nil)), into: id, at: at, on: sql
                        ).message
                }
            case .newConversation:
                let subject = mail.subject.isEmpty ? nil : String(mail.subject.prefix(200))
                conversationId = try await Self.insertConversation(
                    inboxId: inboxId, contactId: contact.id, subject: subject, at: at, on: sql
                ).id
                newConversation = true
                if let address = mail.replyAddress {
                    try await Self.insertEmailThread(conversationId: conversationId, customerAddress: address, at: at, on: sql)
                }
            }

            // The mail's files become the message's attachments (uploaded "by" the sender).
            let attachmentIds = try await Self.insertInboundFiles(mail.files, from: contact.id, at: at, on: sql)
            var text = mail.text
            if text.count > InboundMail.maxTextLength { text = String(text.prefix(InboundMail.maxTextLength)) + "\n…" }
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && attachmentIds.isEmpty { text = "(\(mail.subject))" }
            let appended = try await Self.insertMessage(
                NewMessage(
                    direction: .incoming, author: .contact(contact.id), text: text, attachmentIds: attachmentIds,
                    // Idempotent per Message-ID (ids can be long: their digest keeps the key short).
                    channelMessageId: mail.messageId,
                    clientMessageId: "mail:" + AttachmentBlobStore.digest(Data(mail.messageId.utf8)).prefix(40)),
                into: conversationId, at: at, on: sql)
            try await sql.raw(
                """
                UPDATE mails SET conversation_id = \(bind: conversationId.rawValue), message_ref = \(bind: appended.message.id.rawValue)
                WHERE id = \(bind: mailId)
                """
            ).run()
            guard let conversation = try await Self.loadConversation(id: conversationId.rawValue, on: sql) else {
                throw StoreError.notFound("conversation")
            }
            return MailIngestOutcome(
                mailId: mailId, duplicate: false, conversation: conversation, appended: appended, contact: contact,
                newConversation: newConversation, reopened: reopenMessage != nil, reopenMessage: reopenMessage)
        }
    }

    /// A received message's files, as attachments uploaded by its sender (inside the caller's transaction).
    static func insertInboundFiles(_ files: [InboundMail.File], from contact: ContactID, at: Int64, on sql: any SQLDatabase) async throws -> [AttachmentID] {
        var ids: [AttachmentID] = []
        for file in files {
            let id = AttachmentID.generate()
            try await sql.raw(
                """
                INSERT INTO attachments (id, sha256, size, content_type, filename, uploaded_by_kind, uploaded_by_id, created_at)
                VALUES (\(bind: id.rawValue), \(bind: file.sha256), \(bind: file.size), \(bind: file.contentType), \(bind: file.filename),
                    'contact', \(bind: contact.rawValue), \(bind: at))
                """
            ).run()
            ids.append(id)
        }
        return ids
    }

    static func candidate(from row: any SQLRow) throws -> MailThreading.Candidate {
        MailThreading.Candidate(
            conversationId: ConversationID(rawValue: try row.string("id")), contactId: ContactID(rawValue: try row.string("contact_id")),
            status: try row.enumValue("status", as: ConversationStatus.self), lastActivityAt: try row.date("last_activity_at"))
    }

    /// The conversation of the nearest referenced mail Kefu received or sent.
    static func candidate(byMessageIds ids: [String], on sql: any SQLDatabase) async throws -> MailThreading.Candidate? {
        let ids = Array(ids.prefix(50))
        guard !ids.isEmpty else { return nil }
        let rows = try await sql.raw(
            """
            SELECT c.id, c.contact_id, c.status, c.last_activity_at, m.message_id FROM mails m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.message_id IN (\(binds: ids))
            UNION ALL
            SELECT c.id, c.contact_id, c.status, c.last_activity_at, o.message_id FROM outbox o JOIN conversations c ON c.id = o.conversation_id
            WHERE o.message_id IN (\(binds: ids))
            """
        ).all()
        var byId: [String: MailThreading.Candidate] = [:]
        for row in rows { byId[try row.string("message_id")] = try candidate(from: row) }
        return ids.lazy.compactMap { byId[$0] }.first
    }

    static func candidate(byToken tokens: [String], on sql: any SQLDatabase) async throws -> MailThreading.Candidate? {
        guard !tokens.isEmpty else { return nil }
        return try await sql.raw(
            """
            SELECT c.id, c.contact_id, c.status, c.last_activity_at FROM email_threads t JOIN conversations c ON c.id = t.conversation_id
            WHERE t.reply_token IN (\(binds: Array(tokens.prefix(10))))
            """
        ).first().map(candidate(from:))
    }

    static func candidate(byNumber number: Int64, on sql: any SQLDatabase) async throws -> MailThreading.Candidate? {
        try await sql.raw("SELECT id, contact_id, status, last_activity_at FROM conversations WHERE number = \(bind: number)")
            .first().map(candidate(from:))
    }

    /// 12 characters of lower-case base32: 60 random bits, unguessable enough for an address
    /// that only routes mail (it grants no access to anything).
    static func newReplyToken() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet[Int(generator.next() % 32)] })
    }

    static func insertEmailThread(conversationId: ConversationID, customerAddress: String, at: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO email_threads (conversation_id, reply_token, customer_address, created_at)
            VALUES (\(bind: conversationId.rawValue), \(bind: newReplyToken()), \(bind: customerAddress), \(bind: at))
            ON CONFLICT (conversation_id) DO NOTHING
            """
        ).run()
    }

    public func emailThread(conversationId: ConversationID, customerAddress: String) async throws -> EmailThread {
        let at = Clock.millis(now())
        return try await database.write { sql in
            // Two instances composing mail for one conversation at once: the second insert does
            // nothing, and both read the one thread.
            try await Self.insertEmailThread(conversationId: conversationId, customerAddress: customerAddress, at: at, on: sql)
            guard
                let row = try await sql.raw(
                    "SELECT reply_token, customer_address FROM email_threads WHERE conversation_id = \(bind: conversationId.rawValue)"
                ).first()
            else { throw StoreError.notFound("email thread") }
            return EmailThread(
                conversationId: conversationId, replyToken: try row.string("reply_token"), customerAddress: try row.string("customer_address"))
        }
    }

    public func mails(conversationId: ConversationID) async throws -> [MailRecord] {
        try await database.read { sql in
            try await sql.raw(
                "SELECT \(unsafeRaw: Self.mailColumns) FROM mails WHERE conversation_id = \(bind: conversationId.rawValue) ORDER BY created_at, id"
            ).all().map(Self.mailRecord(from:))
        }
    }

    public func mail(id: String) async throws -> MailRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.mailColumns) FROM mails WHERE id = \(bind: id)").first().map(Self.mailRecord(from:))
        }
    }

    public func threadMessageIds(conversationId: ConversationID) async throws -> [String] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT message_id, created_at FROM mails WHERE conversation_id = \(bind: conversationId.rawValue)
                UNION ALL
                SELECT message_id, created_at FROM outbox WHERE conversation_id = \(bind: conversationId.rawValue)
                ORDER BY created_at
                """
            ).all().map { try $0.string("message_id") }
        }
    }

    public func inbox(emailAddress: String) async throws -> Inbox? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.inboxColumns) FROM inboxes WHERE email_address = \(bind: emailAddress.lowercased())")
                .first().map(Self.inbox(from:))
        }
    }

    public func supportInbox(emailAddress: String) async throws -> Inbox {
        let address = emailAddress.lowercased()
        let flavor = self.flavor
        let id = try await database.write { sql -> String in
            // Instances starting together each look for the inbox: the lock makes the second see
            // what the first chose, also when their support addresses differ and both would
            // adopt the same spare inbox.
            try await Self.lockForTransaction("support_inbox", on: sql, flavor)
            if let row = try await sql.raw("SELECT id FROM inboxes WHERE email_address = \(bind: address)").first() {
                return try row.string("id")
            }
            if let spare = try await sql.raw(
                "SELECT id FROM inboxes WHERE kind = 'email' AND email_address IS NULL ORDER BY created_at, id LIMIT 1"
            ).first() {
                let id = try spare.string("id")
                try await sql.raw("UPDATE inboxes SET email_address = \(bind: address) WHERE id = \(bind: id)").run()
                return id
            }
            let id = InboxID.generate().rawValue
            try await sql.raw(
                """
                INSERT INTO inboxes (id, name, kind, email_address, created_at)
                VALUES (\(bind: id), \(bind: emailAddress), \(bind: InboxKind.email.rawValue), \(bind: address), \(bind: Clock.millis(now())))
                """
            ).run()
            return id
        }
        guard let inbox = try await inbox(id: InboxID(rawValue: id)) else { throw StoreError.notFound("inbox") }
        return inbox
    }

    // MARK: Outbox
}
