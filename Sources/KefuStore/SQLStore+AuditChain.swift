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

    /// The setting that records that the lines from before the chain were placed.
    static let preChainSealed = "audit.pre_chain_sealed"

    /// Gives the lines written before the chain existed their places, oldest first, once (run by
    /// `kefu migrate` until it has finished; the last batch records that it has, in its own
    /// transaction). Afterwards a line without a place is never placed: it is a forgery or a
    /// fault, and verify names it. Returns how many were placed.
    @discardableResult
    public func sealPreChainAudit() async throws -> Int {
        var sealed = 0
        while true {
            let placed = try await database.write { sql -> Int? in
                try await Migrator.oneAtATime(sql, flavor)
                let done = try await sql.raw("SELECT value FROM settings WHERE key = \(bind: Self.preChainSealed)").first()
                if done != nil { return nil }
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
                if rows.count < 500 {
                    try await sql.raw(
                        "INSERT INTO settings (key, value, updated_at) VALUES (\(bind: Self.preChainSealed), '1', \(bind: Clock.millis(now())))"
                    ).run()
                }
                return rows.count
            }
            guard let placed else { return sealed }
            sealed += placed
            if placed < 500 { return sealed }
        }
    }

    /// Walks the whole chain in pages (the log may be long) and names the first bad line. The
    /// head row is read first: lines appended while the walk runs come after it and are left to
    /// the next run, so a busy instance is never reported broken. Pages go by place and then id,
    /// so a second line in one place is met wherever it falls; and every row up to the head is
    /// counted, so none is missed.
    public func verifyAuditChain(expecting expected: AuditChain.Head? = nil, pageSize: Int = 5000) async throws -> AuditChain.Verdict {
        let stored = try await auditChainHead()
        var walker = AuditChain.Walker(expecting: expected)
        var after: (seq: Int64, id: Int64) = (0, 0)
        var walked: Int64 = 0
        while walker.problem == nil {
            let from = after
            let page = try await database.read { sql in
                try await sql.raw(
                    """
                    SELECT \(unsafeRaw: Self.auditChainColumns) FROM audit_log
                    WHERE seq <= \(bind: stored.seq) AND (seq > \(bind: from.seq) OR (seq = \(bind: from.seq) AND id > \(bind: from.id)))
                    ORDER BY seq, id LIMIT \(literal: pageSize)
                    """
                ).all().map(Self.auditLine(from:))
            }
            for line in page { walker.step(line) }
            walked += Int64(page.count)
            guard let last = page.last, let seq = last.seq, page.count == pageSize else { break }
            after = (seq, last.id)
        }
        // Then any line without a whole-number place (which is itself a break).
        let oddPlace: SQLQueryString = flavor == .sqlite ? " OR typeof(seq) <> 'integer'" : ""
        let unplaced = try await database.read { sql in
            try await sql.raw(
                "SELECT \(unsafeRaw: Self.auditChainColumns) FROM audit_log WHERE seq IS NULL OR seq < 1\(oddPlace) ORDER BY id LIMIT 1"
            ).all().map(Self.auditLine(from:))
        }
        for line in unplaced { walker.step(AuditChain.Line(unplaced: line)) }
        var verdict = walker.verdict()
        if verdict.problem == nil {
            let rows = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM audit_log WHERE seq <= \(bind: stored.seq)").first()?.decode(column: "n", as: Int64.self) ?? 0
            }
            if rows != walked {
                verdict.problem = AuditChain.Problem(id: nil, seq: nil, reason: "\(rows) lines have places up to \(stored.seq), but the walk met \(walked)")
            }
        }
        // No line has a place beyond the head (read in the same statement: a line and the head's
        // move are committed together, so this is never a line written during the walk).
        if verdict.problem == nil,
            let row = try await database.read({ sql in
                try await sql.raw(
                    "SELECT id, seq FROM audit_log WHERE seq > (SELECT seq FROM audit_chain WHERE id = 1) ORDER BY seq LIMIT 1"
                ).first()
            })
        {
            verdict.problem = AuditChain.Problem(
                id: try row.int64("id"), seq: try? row.int64("seq"), reason: "its place is beyond the chain's head")
        }
        // The head row moves with every line: lines deleted from the end leave it ahead.
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
            // A place that is not a whole number (an edit by hand in SQLite) reads as none.
            id: try row.int64("id"), seq: (try? row.decode(column: "seq", as: Int64?.self)) ?? nil, at: try row.int64("at"),
            actorKind: try row.string("actor_kind"), actorId: try row.optionalString("actor_id"), action: try row.string("action"),
            subjectKind: try row.string("subject_kind"), subjectId: try row.optionalString("subject_id"), detail: try row.string("detail"),
            clientAddress: try row.optionalString("client_address"), prevHash: try row.optionalString("prev_hash"),
            hash: try row.optionalString("hash"))
    }
}
