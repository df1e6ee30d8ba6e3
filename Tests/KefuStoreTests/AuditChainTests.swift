import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Logging
import SQLKit
import Testing

/// The audit log's hash chain (docs/trust-and-safety.md): every line linked in the transaction
/// that writes it, on both databases and under parallel writers; an edited, deleted or
/// reordered line is named, and so is a chain rebuilt after an edit or cut short at the end,
/// against a head exported before.
@Suite struct AuditChainTests {
    static func event(_ n: Int) -> AuditEvent {
        AuditEvent(actor: .system, action: "test.line", subjectKind: "test", subjectId: "\(n)", detail: ["n": "\(n)", "名": "值"])
    }

    /// Statements a database administrator would run to get past the append-only triggers.
    static func withoutTriggers(_ store: SQLStore, _ statement: String) async throws {
        try await store.database.write { sql in
            if store.flavor == .sqlite {
                try await sql.raw("DROP TRIGGER IF EXISTS audit_log_no_update").run()
                try await sql.raw("DROP TRIGGER IF EXISTS audit_log_no_delete").run()
            } else {
                try await sql.raw("ALTER TABLE audit_log DISABLE TRIGGER USER").run()
            }
            try await sql.raw(SQLQueryString(stringLiteral: statement)).run()
        }
    }

    @Test(arguments: TestBackend.available)
    func parallelWritersMakeOneUnbrokenChain(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<60 { group.addTask { try await store.appendAudit(Self.event(n)) } }
                try await group.waitForAll()
            }
            let verdict = try await store.verifyAuditChain()
            #expect(verdict.problem == nil)
            #expect(verdict.checked == 60)
            #expect(try await store.auditChainHead() == verdict.head)
            // Lines written with the change they record are chained the same way.
            _ = try await store.createInbox(name: "Web", kind: .webchat, audit: Self.event(61))
            #expect(try await store.verifyAuditChain().checked == 61)
        }
    }

    @Test(arguments: TestBackend.available)
    func anEditedLineIsNamed(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            for n in 0..<5 { try await store.appendAudit(Self.event(n)) }
            let third = try #require(try await store.auditEntries(before: nil, limit: 10).reversed().dropFirst(2).first)
            try await Self.withoutTriggers(store, "UPDATE audit_log SET detail = '{\"n\":\"99\"}' WHERE id = \(third.id)")
            let verdict = try await store.verifyAuditChain()
            #expect(verdict.problem?.id == third.id)
            #expect(verdict.problem?.reason == "its content does not match its hash")
            #expect(verdict.checked == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func aDeletedLineAndACutEndAreNamed(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            for n in 0..<6 { try await store.appendAudit(Self.event(n)) }
            let exported = try await store.auditChainHead()
            let ids = try await store.auditEntries(before: nil, limit: 10).map(\.id).sorted()
            // The newest line gone: the head row (and the exported head) name it.
            try await Self.withoutTriggers(store, "DELETE FROM audit_log WHERE id = \(ids[5])")
            #expect(try await store.verifyAuditChain().problem?.reason.contains("head names line 6") == true)
            #expect(try await store.verifyAuditChain(expecting: exported).problem?.seq == 6)
            // A line in the middle gone: the next one says what is missing.
            try await Self.withoutTriggers(store, "DELETE FROM audit_log WHERE id = \(ids[1])")
            let verdict = try await store.verifyAuditChain()
            #expect(verdict.problem?.id == ids[2])
            #expect(verdict.problem?.reason == "line 2 before it is missing")
        }
    }

    /// Someone who edits a line and recomputes every hash after it makes a chain that holds in
    /// itself; the head exported before the edit does not match it.
    @Test(arguments: TestBackend.available)
    func aRebuiltChainDoesNotMatchTheExportedHead(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            for n in 0..<4 { try await store.appendAudit(Self.event(n)) }
            let exported = try await store.auditChainHead()
            let lines = try await store.database.read { sql in
                try await sql.raw("SELECT id, seq, at, actor_kind, actor_id, action, subject_kind, subject_id, detail, client_address, prev_hash, hash FROM audit_log ORDER BY seq")
                    .all()
            }
            var prev = AuditChain.genesis
            var rebuilt: [String] = []
            for (index, row) in lines.enumerated() {
                var line = AuditChain.Line(
                    id: try row.decode(column: "id", as: Int64.self), seq: Int64(index + 1), at: try row.decode(column: "at", as: Int64.self),
                    actorKind: "system", actorId: nil, action: "test.line", subjectKind: "test",
                    subjectId: try row.decode(column: "subject_id", as: String?.self), detail: try row.decode(column: "detail", as: String.self),
                    clientAddress: nil, prevHash: prev, hash: nil)
                if index == 1 { line.detail = "{\"n\":\"forged\"}" }
                let hash = AuditChain.hash(line, seq: Int64(index + 1), prev: prev)
                rebuilt.append(
                    "UPDATE audit_log SET detail = '\(line.detail)', prev_hash = '\(prev)', hash = '\(hash)' WHERE id = \(line.id)")
                prev = hash
            }
            for statement in rebuilt { try await Self.withoutTriggers(store, statement) }
            let newHead = prev
            try await store.database.write { sql in try await sql.raw("UPDATE audit_chain SET hash = \(bind: newHead) WHERE id = 1").run() }
            #expect(try await store.verifyAuditChain().problem == nil)
            let verdict = try await store.verifyAuditChain(expecting: exported)
            #expect(verdict.problem?.seq == 4)
            #expect(verdict.problem?.reason.contains("rewritten") == true)
        }
    }

    /// Lines from before the chain are placed once, by the migration that brings the chain;
    /// afterwards they are as append-only as any other.
    @Test(arguments: TestBackend.available)
    func linesFromBeforeTheChainArePlacedOnce(_ backend: TestBackend) async throws {
        let location = try await TestDatabases.create(backend)
        try await withDatabase(location, logger: Logger(label: "test"), poolSize: TestDatabases.poolSize, firstConnection: TestDatabases.firstConnection) {
            database in
            let logger = Logger(label: "test")
            try await Migrator(migrations: Schema.migrations.filter { $0.version < 20 }).migrate(database, logger: logger)
            let store = SQLStore(database: database)
            for n in 0..<3 { try await store.appendAuditBeforeTheChain(Self.event(n)) }
            try await Migrator().migrate(database, logger: logger)
            #expect(try await store.verifyAuditChain().problem == nil)
            #expect(try await store.verifyAuditChain().checked == 3)
            try await store.appendAudit(Self.event(3))
            #expect(try await store.verifyAuditChain().checked == 4)
        }
    }

    /// A line without a place written later (an INSERT is all the triggers allow) is a forgery
    /// or a fault: verify names it, and no later migrate or start places it.
    @Test(arguments: TestBackend.available)
    func aLineWithoutAPlaceStaysABreak(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            try await store.appendAudit(Self.event(0))
            try await store.database.write { sql in
                try await sql.raw(
                    "INSERT INTO audit_log (at, actor_kind, action, subject_kind, detail) VALUES (1, 'system', 'old.line', 'test', '{}')"
                ).run()
            }
            #expect(try await store.verifyAuditChain().problem?.reason == "not in the chain")
            try await Migrator().migrate(store.database, logger: Logger(label: "test"))
            #expect(try await store.sealPreChainAudit() == 0)
            #expect(try await store.verifyAuditChain().problem?.reason == "not in the chain")
            await #expect(throws: (any Error).self) {
                try await store.database.write { sql in try await sql.raw("UPDATE audit_log SET prev_hash = NULL, hash = NULL, seq = NULL").run() }
            }
            await #expect(throws: (any Error).self) {
                try await store.database.write { sql in try await sql.raw("UPDATE audit_log SET action = 'changed' WHERE seq IS NOT NULL").run() }
            }
        }
    }

    /// A second line in one place is met wherever it falls, even as the last line of a page.
    @Test(arguments: TestBackend.available)
    func aSecondLineInOnePlaceIsFoundAtAPageBoundary(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            for n in 0..<6 { try await store.appendAudit(Self.event(n)) }
            let third = try #require(try await store.auditEntries(before: nil, limit: 10).map(\.id).sorted().dropFirst(2).first)
            try await store.database.write { sql in try await sql.raw("DROP INDEX audit_log_seq").run() }
            try await store.database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO audit_log (at, actor_kind, action, subject_kind, detail, seq, prev_hash, hash)
                    SELECT at, actor_kind, 'forged.line', subject_kind, detail, seq, prev_hash, hash FROM audit_log WHERE id = \(bind: third)
                    """
                ).run()
            }
            let verdict = try await store.verifyAuditChain(pageSize: 3)
            #expect(verdict.problem?.seq == 3)
            #expect(verdict.problem?.reason == "place 3 is taken twice" || verdict.problem?.reason == "its content does not match its hash")
        }
    }

    /// Verify while audited writes go on: never a false alarm (the walk stops at the head it
    /// read first).
    @Test(arguments: TestBackend.available)
    func verifyingWhileLinesAreWrittenIsNoAlarm(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { for n in 0..<150 { try await store.appendAudit(Self.event(n)) } }
                group.addTask {
                    for _ in 0..<15 {
                        let verdict = try await store.verifyAuditChain(pageSize: 7)
                        #expect(verdict.problem == nil, "\(String(describing: verdict.problem))")
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.verifyAuditChain().checked == 150)
        }
    }

    /// One INSERT with a place past the head (no trigger or index touched) is named; so is a
    /// line appended with every link right but dated well before the line before it.
    @Test(arguments: TestBackend.available)
    func aLineBeyondTheHeadAndABackdatedLineAreNamed(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            for n in 0..<3 { try await store.appendAudit(Self.event(n)) }
            let head = try await store.auditChainHead()
            try await store.database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO audit_log (at, actor_kind, action, subject_kind, detail, seq, prev_hash, hash)
                    VALUES (1, 'system', 'forged.line', 'test', '{}', 9000000000, \(bind: AuditChain.genesis), 'deadbeef')
                    """
                ).run()
            }
            #expect(try await store.verifyAuditChain().problem?.reason == "its place is beyond the chain's head")
            #expect(try await store.verifyAuditChain(expecting: head).problem?.seq == 9_000_000_000)
        }
        try await withTestStore(backend) { store in
            for n in 0..<3 { try await store.appendAudit(Self.event(n)) }
            let head = try await store.auditChainHead()
            let forged = AuditChain.Line(
                id: 0, seq: head.seq + 1, at: Int64(Date().addingTimeInterval(-86_400).timeIntervalSince1970 * 1000), actorKind: "system",
                actorId: nil, action: "forged.line", subjectKind: "test", subjectId: nil, detail: "{}", clientAddress: nil)
            let hash = AuditChain.hash(forged, seq: head.seq + 1, prev: head.hash)
            try await store.database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO audit_log (at, actor_kind, action, subject_kind, detail, seq, prev_hash, hash)
                    VALUES (\(bind: forged.at), 'system', 'forged.line', 'test', '{}', \(bind: head.seq + 1), \(bind: head.hash), \(bind: hash))
                    """
                ).run()
                try await sql.raw("UPDATE audit_chain SET seq = \(bind: head.seq + 1), hash = \(bind: hash) WHERE id = 1").run()
            }
            #expect(try await store.verifyAuditChain().problem?.reason == "it is dated before the line before it")
        }
    }

    @Test func headsAreReadOnlyInTheirOwnForm() {
        let hash = String(repeating: "ab", count: 32)
        #expect(AuditChain.Head(text: "12:\(hash)") == AuditChain.Head(seq: 12, hash: hash))
        #expect(AuditChain.Head(text: "12:\(hash.uppercased())") == nil)
        #expect(AuditChain.Head(text: "-1:\(hash)") == nil)
        #expect(AuditChain.Head(text: "12:\(hash.dropLast())") == nil)
        #expect(AuditChain.Head(text: "12") == nil)
    }
}

extension SQLStore {
    /// An audit line as Kefu wrote them before the chain (migrations before 20).
    func appendAuditBeforeTheChain(_ event: AuditEvent) async throws {
        let detail = String(decoding: try JSONEncoder().encode(event.detail), as: UTF8.self)
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO audit_log (at, actor_kind, actor_id, action, subject_kind, subject_id, detail)
                VALUES (\(bind: Int64(Date().timeIntervalSince1970 * 1000)), 'system', NULL, \(bind: event.action), \(bind: event.subjectKind),
                        \(bind: event.subjectId), \(bind: detail))
                """
            ).run()
        }
    }
}
