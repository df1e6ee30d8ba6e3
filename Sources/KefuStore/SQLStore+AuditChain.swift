import Foundation
import KefuCore
import SQLKit

extension SQLStore {
    /// Appends one audit line in the caller's transaction, linked to the chain. Taking the
    /// chain's head row (an UPDATE) serialises appends on PostgreSQL until the transaction ends,
    /// so two transactions can never link to the same line; on SQLite writers are one anyway.
    func insertAudit(_ event: AuditEvent, on sql: any SQLDatabase) async throws {
        let detail = String(decoding: try JSONEncoder.sorted.encode(event.detail), as: UTF8.self)
        var line = AuditChain.Line(
            id: 0, seq: nil, at: Clock.millis(now()), actorKind: event.actor.kind.rawValue, actorId: event.actor.id, action: event.action,
            subjectKind: event.subjectKind, subjectId: event.subjectId, detail: detail, clientAddress: event.clientAddress)
        let link = try await nextLink(for: line, on: sql)
        (line.seq, line.prevHash, line.hash) = (link.seq, link.prev, link.hash)
        try await sql.raw(
            """
            INSERT INTO audit_log (at, actor_kind, actor_id, action, subject_kind, subject_id, detail, client_address, seq, prev_hash, hash)
            VALUES (\(bind: line.at), \(bind: line.actorKind), \(bind: line.actorId), \(bind: line.action), \(bind: line.subjectKind),
                    \(bind: line.subjectId), \(bind: line.detail), \(bind: line.clientAddress), \(bind: link.seq), \(bind: link.prev),
                    \(bind: link.hash))
            """
        ).run()
    }

    /// Moves the head one place on and returns the new link for `line`.
    func nextLink(for line: AuditChain.Line, on sql: any SQLDatabase) async throws -> (seq: Int64, prev: String, hash: String) {
        guard let head = try await sql.raw("UPDATE audit_chain SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").first() else {
            throw StoreError.undecodable("the audit chain's head is missing")
        }
        let seq = try head.int64("seq")
        let prev = try head.string("hash")
        let hash = AuditChain.hash(line, seq: seq, prev: prev)
        try await sql.raw("UPDATE audit_chain SET hash = \(bind: hash) WHERE id = 1").run()
        return (seq, prev, hash)
    }

    /// Gives the lines written before the chain existed their places, oldest first (run by
    /// `kefu migrate`). Returns how many were placed.
    @discardableResult
    public func sealUnchainedAudit() async throws -> Int {
        var sealed = 0
        while true {
            let placed = try await database.write { sql in
                let rows = try await sql.raw(
                    "SELECT \(unsafeRaw: Self.auditChainColumns) FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT 500"
                ).all()
                for row in rows {
                    let line = try Self.auditLine(from: row)
                    let link = try await nextLink(for: line, on: sql)
                    try await sql.raw(
                        "UPDATE audit_log SET seq = \(bind: link.seq), prev_hash = \(bind: link.prev), hash = \(bind: link.hash) WHERE id = \(bind: line.id)"
                    ).run()
                }
                return rows.count
            }
            sealed += placed
            if placed < 500 { return sealed }
        }
    }

    /// Walks the whole chain in pages (the log may be long) and names the first bad line.
    public func verifyAuditChain(expecting expected: AuditChain.Head? = nil) async throws -> AuditChain.Verdict {
        var walker = AuditChain.Walker(expecting: expected)
        var after: Int64 = 0
        // Placed lines in order, then any line without a place (which is itself a break).
        while walker.problem == nil {
            let from = after
            let page = try await database.read { sql in
                try await sql.raw(
                    "SELECT \(unsafeRaw: Self.auditChainColumns) FROM audit_log WHERE seq > \(bind: from) ORDER BY seq LIMIT 5000"
                ).all().map(Self.auditLine(from:))
            }
            for line in page { walker.step(line) }
            guard let last = page.last?.seq, page.count == 5000 else { break }
            after = last
        }
        let unplaced = try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.auditChainColumns) FROM audit_log WHERE seq IS NULL OR seq < 1 ORDER BY id LIMIT 1")
                .all().map(Self.auditLine(from:))
        }
        for line in unplaced { walker.step(line) }
        var verdict = walker.verdict()
        // The head row moves with every line: lines deleted from the end leave it ahead.
        let stored = try await auditChainHead()
        if verdict.problem == nil, stored != verdict.head {
            verdict.problem = AuditChain.Problem(
                id: nil, seq: stored.seq, reason: "the chain's head names line \(stored.seq), but the lines end at \(verdict.head.seq)")
        }
        return verdict
    }

    /// The chain's newest link, as the head row holds it.
    public func auditChainHead() async throws -> AuditChain.Head {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT seq, hash FROM audit_chain WHERE id = 1").first() else {
                throw StoreError.undecodable("the audit chain's head is missing")
            }
            return AuditChain.Head(seq: try row.int64("seq"), hash: try row.string("hash"))
        }
    }

    static let auditChainColumns = "id, seq, at, actor_kind, actor_id, action, subject_kind, subject_id, detail, client_address, prev_hash, hash"

    static func auditLine(from row: any SQLRow) throws -> AuditChain.Line {
        AuditChain.Line(
            id: try row.int64("id"), seq: try row.decode(column: "seq", as: Int64?.self), at: try row.int64("at"),
            actorKind: try row.string("actor_kind"), actorId: try row.optionalString("actor_id"), action: try row.string("action"),
            subjectKind: try row.string("subject_kind"), subjectId: try row.optionalString("subject_id"), detail: try row.string("detail"),
            clientAddress: try row.optionalString("client_address"), prevHash: try row.optionalString("prev_hash"),
            hash: try row.optionalString("hash"))
    }
}
