import Foundation
import KefuCore
import SQLKit

extension SQLStore: WidgetSessionRepository {
    public func createWidgetSession(
        inboxId: InboxID, contactId: ContactID, tokenHash: String, claimedEmail: String?, claimedWalletUid: String?, locale: String?,
        topic: String?, userAgent: String?, clientAddress: String?, expiresAt: Date
    ) async throws -> WidgetSession {
        let id = UUID().uuidString.lowercased()
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO widget_sessions (id, token_hash, inbox_id, contact_id, claimed_email, claimed_wallet_uid, locale, topic,
                    user_agent, client_address, created_at, last_seen_at, expires_at)
                VALUES (\(bind: id), \(bind: tokenHash), \(bind: inboxId.rawValue), \(bind: contactId.rawValue), \(bind: claimedEmail),
                    \(bind: claimedWalletUid), \(bind: locale), \(bind: topic), \(bind: userAgent.map { String($0.prefix(300)) }), \(bind: clientAddress),
                    \(bind: at), \(bind: at), \(bind: Clock.millis(expiresAt)))
                """
            ).run()
        }
        var session = WidgetSession(
            id: id, inboxId: inboxId, contactId: contactId, claimedEmail: claimedEmail, locale: locale, topic: topic,
            expiresAt: Clock.date(Clock.millis(expiresAt)))
        session.claimedWalletUid = claimedWalletUid
        return session
    }

    public func widgetSession(tokenHash: String, now date: Date, slidingLifetime: TimeInterval) async throws -> WidgetSession? {
        let at = Clock.millis(date)
        let found = try await database.read { sql -> (WidgetSession, Int64)? in
            guard
                let row = try await sql.raw(
                    """
                    SELECT id, inbox_id, contact_id, claimed_email, locale, topic, expires_at, last_seen_at FROM widget_sessions
                    WHERE token_hash = \(bind: tokenHash) AND revoked_at IS NULL AND expires_at > \(bind: at)
                    """
                ).first()
            else { return nil }
            let session = WidgetSession(
                id: try row.string("id"), inboxId: InboxID(rawValue: try row.string("inbox_id")),
                contactId: ContactID(rawValue: try row.string("contact_id")), claimedEmail: try row.optionalString("claimed_email"),
                locale: try row.optionalString("locale"), topic: try row.optionalString("topic"), expiresAt: try row.date("expires_at"))
            return (session, try row.int64("last_seen_at"))
        }
        guard let (stored, lastSeen) = found else { return nil }
        var session = stored
        // Sliding expiry, written at most once a minute so reconnect storms stay reads.
        if at - lastSeen > 60_000 {
            let expires = Clock.millis(date.addingTimeInterval(slidingLifetime))
            let id = session.id
            try await database.write { sql in
                try await sql.raw(
                    "UPDATE widget_sessions SET last_seen_at = \(bind: at), expires_at = \(bind: expires) WHERE id = \(bind: id)"
                ).run()
            }
            session.expiresAt = Clock.date(expires)
        }
        return session
    }

    public func widgetClaims(contactId: ContactID) async throws -> (email: String?, walletUid: String?) {
        try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT claimed_email, claimed_wallet_uid FROM widget_sessions WHERE contact_id = \(bind: contactId.rawValue)
                ORDER BY created_at DESC
                """
            ).all()
            let email = try rows.lazy.compactMap { try $0.optionalString("claimed_email") }.first
            let uid = try rows.lazy.compactMap { try $0.optionalString("claimed_wallet_uid") }.first
            return (email, uid)
        }
    }

    public func setClaimedEmail(sessionId: String, email: String) async throws {
        try await database.write { sql in
            try await sql.raw("UPDATE widget_sessions SET claimed_email = \(bind: email) WHERE id = \(bind: sessionId)").run()
        }
    }

    public func latestConversation(contactId: ContactID, inboxId: InboxID) async throws -> Conversation? {
        try await database.read { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT id FROM conversations WHERE contact_id = \(bind: contactId.rawValue) AND inbox_id = \(bind: inboxId.rawValue)
                    ORDER BY created_at DESC, id DESC LIMIT 1
                    """
                ).first()
            else { return nil }
            return try await Self.loadConversation(id: try row.string("id"), on: sql)
        }
    }
}

extension SQLStore {
    public func verifySessionEmail(sessionId: String, email: String) async throws -> ContactID {
        let address = EmailAddress.normalize(email)
        let at = Clock.millis(now())
        return try await database.write { sql in
            guard let current = try await Self.sessionContact(sessionId, on: sql) else { throw StoreError.notFound("session") }
            if let owner = try await sql.raw("SELECT id FROM contacts WHERE email = \(bind: address)").first().map({ ContactID(rawValue: try $0.string("id")) }) {
                try await Self.attach(sessionId, from: current, to: owner, on: sql)
                return owner
            }
            if try await Self.isAnonymous(current, on: sql) {
                try await sql.raw("UPDATE contacts SET email = \(bind: address), updated_at = \(bind: at) WHERE id = \(bind: current.rawValue)").run()
                return current
            }
            // Someone else's contact: the verified address gets a customer of its own.
            let fresh = ContactID.generate()
            try await sql.raw(
                """
                INSERT INTO contacts (id, name, email, locale, created_at, updated_at)
                SELECT \(bind: fresh.rawValue), NULL, \(bind: address), locale, \(bind: at), \(bind: at) FROM contacts WHERE id = \(bind: current.rawValue)
                """
            ).run()
            try await Self.attach(sessionId, from: current, to: fresh, on: sql)
            return fresh
        }
    }

    public func joinSession(sessionId: String, to owner: ContactID) async throws {
        try await database.write { sql in
            guard let current = try await Self.sessionContact(sessionId, on: sql) else { throw StoreError.notFound("session") }
            try await Self.attach(sessionId, from: current, to: owner, on: sql)
        }
    }

    static func sessionContact(_ sessionId: String, on sql: any SQLDatabase) async throws -> ContactID? {
        try await sql.raw("SELECT contact_id FROM widget_sessions WHERE id = \(bind: sessionId)").first().map { ContactID(rawValue: try $0.string("contact_id")) }
    }

    /// No verified address and no account: a visitor nobody has claimed yet.
    static func isAnonymous(_ contact: ContactID, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw(
            """
            SELECT id FROM contacts WHERE id = \(bind: contact.rawValue) AND email IS NULL
                AND NOT EXISTS (SELECT 1 FROM accounts WHERE contact_id = \(bind: contact.rawValue))
            """
        ).first() != nil
    }

    /// The session joins `owner`: an anonymous contact merges into it, anyone else keeps theirs.
    static func attach(_ sessionId: String, from current: ContactID, to owner: ContactID, on sql: any SQLDatabase) async throws {
        guard current != owner else { return }
        if try await isAnonymous(current, on: sql) {
            try await merge(current, into: owner, on: sql)
        } else {
            try await sql.raw("UPDATE widget_sessions SET contact_id = \(bind: owner.rawValue) WHERE id = \(bind: sessionId)").run()
        }
    }

    /// One customer, one history: the contact's conversations, messages, uploads and chat
    /// sessions move to `owner`, and the contact goes.
    static func merge(_ contactId: ContactID, into owner: ContactID, on sql: any SQLDatabase) async throws {
        guard owner != contactId else { return }
        let from = contactId.rawValue
        let to = owner.rawValue
        try await sql.raw("UPDATE conversations SET contact_id = \(bind: to) WHERE contact_id = \(bind: from)").run()
        try await sql.raw("UPDATE messages SET author_id = \(bind: to) WHERE author_kind = 'contact' AND author_id = \(bind: from)").run()
        try await sql.raw(
            "UPDATE attachments SET uploaded_by_id = \(bind: to) WHERE uploaded_by_kind = 'contact' AND uploaded_by_id = \(bind: from)"
        ).run()
        try await sql.raw("UPDATE widget_sessions SET contact_id = \(bind: to) WHERE contact_id = \(bind: from)").run()
        try await sql.raw("DELETE FROM contacts WHERE id = \(bind: from)").run()
    }
}

extension SQLStore: EmailCodeRepository {
    public func createEmailCode(purpose: String, email: String, codeHash: String, expiresAt: Date, limit: Int, since: Date) async throws -> String? {
        let id = UUID().uuidString.lowercased()
        let at = Clock.millis(now())
        let flavor = self.flavor
        return try await database.write { sql in
            // One request per address at a time. SQLite's write transactions are serialized
            // already; PostgreSQL takes a transaction-scoped lock on the address (there may be no
            // row to lock yet), in a statement of its own so that the count after it sees what
            // the transactions before it committed.
            try await Self.lockForTransaction("email_codes:\(purpose):\(email)", on: sql, flavor)
            let made =
                try await sql.raw(
                    """
                    SELECT COUNT(*) AS n FROM email_codes
                    WHERE purpose = \(bind: purpose) AND email = \(bind: email) AND created_at >= \(bind: Clock.millis(since))
                    """
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            guard made < limit else { return nil }
            try await sql.raw(
                """
                UPDATE email_codes SET expires_at = \(bind: at)
                WHERE purpose = \(bind: purpose) AND email = \(bind: email) AND used_at IS NULL AND expires_at > \(bind: at)
                """
            ).run()
            try await sql.raw(
                """
                INSERT INTO email_codes (id, purpose, email, code_hash, attempts, expires_at, created_at)
                VALUES (\(bind: id), \(bind: purpose), \(bind: email), \(bind: codeHash), 0, \(bind: Clock.millis(expiresAt)), \(bind: at))
                """
            ).run()
            return id
        }
    }

    public func checkEmailCode(purpose: String, email: String, codeHash: String, maxAttempts: Int) async throws -> EmailCodeCheck {
        let at = Clock.millis(now())
        return try await database.write { sql in
            // The attempt is counted first, in the same transaction, so parallel guesses cannot
            // get more tries than allowed.
            guard
                let row = try await sql.raw(
                    """
                    UPDATE email_codes SET attempts = attempts + 1
                    WHERE id = (SELECT id FROM email_codes
                                WHERE purpose = \(bind: purpose) AND email = \(bind: email) AND used_at IS NULL AND expires_at > \(bind: at)
                                ORDER BY created_at DESC LIMIT 1)
                    RETURNING id, code_hash, attempts
                    """
                ).first()
            else { return .invalid }
            guard try row.decode(column: "attempts", as: Int.self) <= maxAttempts,
                constantTimeEquals(try row.string("code_hash"), codeHash)
            else { return .invalid }
            try await sql.raw("UPDATE email_codes SET used_at = \(bind: at) WHERE id = \(bind: try row.string("id"))").run()
            return .valid
        }
    }
}
