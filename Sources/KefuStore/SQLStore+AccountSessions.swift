import Foundation
import KefuCore
import SQLKit

/// Customers' sessions, their security history and what their devices have seen.
extension SQLStore {
    static let accountSessionColumns = "id, account_id, user_agent, client_address, created_at, last_seen_at, expires_at"

    static func accountSession(from row: any SQLRow) throws -> AccountSession {
        AccountSession(
            id: try row.string("id"), accountId: AccountID(rawValue: try row.string("account_id")), userAgent: try row.optionalString("user_agent"),
            clientAddress: try row.optionalString("client_address"), createdAt: try row.date("created_at"),
            lastSeenAt: try row.date("last_seen_at"), expiresAt: try row.date("expires_at"))
    }

    public func createAccountSession(accountId: AccountID, tokenHash: String, userAgent: String?, clientAddress: String?, expiresAt: Date)
        async throws -> AccountSession
    {
        let at = Clock.millis(now())
        let session = AccountSession(
            id: UUID().uuidString.lowercased(), accountId: accountId, userAgent: userAgent.map { String($0.prefix(300)) },
            clientAddress: clientAddress, createdAt: Clock.date(at), lastSeenAt: Clock.date(at), expiresAt: Clock.date(Clock.millis(expiresAt)))
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO account_sessions (id, account_id, token_hash, user_agent, client_address, created_at, last_seen_at, expires_at)
                VALUES (\(bind: session.id), \(bind: accountId.rawValue), \(bind: tokenHash), \(bind: session.userAgent), \(bind: clientAddress),
                    \(bind: at), \(bind: at), \(bind: Clock.millis(expiresAt)))
                """
            ).run()
        }
        return session
    }

    public func accountSession(tokenHash: String) async throws -> (AccountSession, Account)? {
        let at = Clock.millis(now())
        return try await database.read { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: Self.accountSessionColumns) FROM account_sessions
                    WHERE token_hash = \(bind: tokenHash) AND revoked_at IS NULL AND expires_at > \(bind: at)
                    """
                ).first(),
                let account = try await sql.raw(
                    "SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE id = \(bind: try row.string("account_id"))"
                ).first()
            else { return nil }
            return (try Self.accountSession(from: row), try Self.account(from: account))
        }
    }

    public func revokeAccountSession(tokenHash: String) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await sql.raw("UPDATE account_sessions SET revoked_at = \(bind: at) WHERE token_hash = \(bind: tokenHash) AND revoked_at IS NULL")
                .run()
        }
    }

    public func appendAccountEvent(accountId: AccountID, _ event: AccountEvent) async throws {
        try await database.write { sql in try await Self.insertAccountEvent(accountId, event, on: sql) }
    }

    public func accountEvents(accountId: AccountID, limit: Int) async throws -> [AccountEvent] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT kind, detail, client_address, user_agent, created_at FROM account_events
                WHERE account_id = \(bind: accountId.rawValue) ORDER BY id DESC LIMIT \(bind: limit)
                """
            ).all().map { row in
                AccountEvent(
                    kind: try row.enumValue("kind", as: AccountEvent.Kind.self),
                    detail: (try? JSONDecoder().decode([String: String].self, from: Data(try row.string("detail").utf8))) ?? [:],
                    clientAddress: try row.optionalString("client_address"), userAgent: try row.optionalString("user_agent"),
                    createdAt: try row.date("created_at"))
            }
        }
    }

    public func accountSessions(accountId: AccountID) async throws -> [AccountSession] {
        let at = Clock.millis(now())
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.accountSessionColumns) FROM account_sessions
                WHERE account_id = \(bind: accountId.rawValue) AND revoked_at IS NULL AND expires_at > \(bind: at)
                ORDER BY created_at DESC, id
                """
            ).all().map(Self.accountSession(from:))
        }
    }

    public func revokeAccountSession(id: String, accountId: AccountID) async throws -> Bool {
        let at = Clock.millis(now())
        return try await database.write { sql in
            try await sql.raw(
                """
                UPDATE account_sessions SET revoked_at = \(bind: at)
                WHERE id = \(bind: id) AND account_id = \(bind: accountId.rawValue) AND revoked_at IS NULL RETURNING id
                """
            ).first() != nil
        }
    }

    public func revokeAccountSessions(accountId: AccountID, except: String?, event: AccountEvent) async throws {
        let at = Clock.millis(now())
        try await database.write { sql in
            try await Self.endSessions(accountId, except: except, at: at, on: sql)
            try await Self.insertAccountEvent(accountId, event, on: sql)
        }
    }

    static func endSessions(_ accountId: AccountID, except: String?, at: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE account_sessions SET revoked_at = \(bind: at)
            WHERE account_id = \(bind: accountId.rawValue) AND revoked_at IS NULL AND id <> \(bind: except ?? "")
            """
        ).run()
    }

    public func seenBefore(accountId: AccountID, userAgent: String?, clientAddress: String?) async throws
        -> (device: Bool, address: Bool, anything: Bool)
    {
        try await database.read { sql in
            let row = try await sql.raw(
                """
                SELECT COUNT(*) AS total,
                    SUM(CASE WHEN COALESCE(user_agent, '') = \(bind: userAgent.map { String($0.prefix(300)) } ?? "") THEN 1 ELSE 0 END) AS device,
                    SUM(CASE WHEN COALESCE(client_address, '') = \(bind: clientAddress ?? "") THEN 1 ELSE 0 END) AS address
                FROM account_sessions WHERE account_id = \(bind: accountId.rawValue)
                """
            ).first()
            let total = try row?.decode(column: "total", as: Int.self) ?? 0
            let device = try row?.decode(column: "device", as: Int?.self) ?? 0
            let address = try row?.decode(column: "address", as: Int?.self) ?? 0
            return (device > 0, address > 0, total > 0)
        }
    }
}
