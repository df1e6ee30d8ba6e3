import BenchSupport
import Benchmark
import Foundation
import KefuCore
import KefuQuality
import KefuStore
import SQLKit

// Reports over 100,000 conversations in 30 days (replies, resolutions, targets, labels and
// surveys like a busy desk's), against a bare COUNT(*) of the same conversations in the same run.

enum ReportCorpus {
    static let conversations = 100_000
    static let start = Date(timeIntervalSince1970: 1_793_491_200)  // 2026-11-01 00:00 UTC
    static let range = ReportRange(from: CalendarDate("2026-11-01")!, to: CalendarDate("2026-11-30")!, zone: TimeZone(identifier: "UTC")!, name: "UTC")

    /// Rows written directly, 500 to a statement: the services would take an hour for this many.
    static func seed(_ database: any KefuStore.Database) async throws {
        var random = SplitMix64(seed: 7)
        let inboxes = ["webchat", "email", "telegram"].map { ($0, UUID().uuidString.lowercased()) }
        let agents = (0..<20).map { _ in UUID().uuidString.lowercased() }
        try await database.write { sql in
            for (kind, id) in inboxes {
                try await sql.raw("INSERT INTO inboxes (id, name, kind, created_at) VALUES (\(bind: id), \(bind: kind), \(bind: kind), 0)").run()
            }
            for (index, agent) in agents.enumerated() {
                try await sql.raw(
                    """
                    INSERT INTO agents (id, email, name, role, password_hash, status, password_must_change, created_at, updated_at)
                    VALUES (\(bind: agent), \(bind: "a\(index)@bench.test"), \(bind: "Agent \(index)"), 'agent', 'x', 'active', \(bind: false), 0, 0)
                    """
                ).run()
            }
        }
        let contact = try await SQLStore(database: database).createContact(name: "Bench", email: nil, locale: "en").id.rawValue
        for batch in stride(from: 0, to: conversations, by: 500) {
            var rows: [SQLQueryString] = []
            var surveys: [SQLQueryString] = []
            var labels: [SQLQueryString] = []
            var events: [SQLQueryString] = []
            for number in batch..<min(batch + 500, conversations) {
                let id = UUID().uuidString.lowercased()
                let (_, inbox) = inboxes[Int(random.next() % 3)]
                let agent = agents[Int(random.next() % 20)]
                let created = Int64(start.timeIntervalSince1970 * 1000) + Int64(random.next() % (29 * 86_400_000))
                let reply: Int64? = random.next() % 10 < 8 ? created + Int64(random.next() % 3_600_000) : nil
                let resolved: Int64? = reply != nil && random.next() % 10 < 7 ? reply! + Int64(random.next() % 86_400_000) : nil
                let rating: Int? = resolved != nil && random.next() % 10 < 3 ? Int(random.next() % 5) + 1 : nil
                rows.append(
                    """
                    (\(bind: id), \(bind: Int64(1_000_000 + number)), \(bind: inbox), \(bind: contact), \(bind: resolved == nil ? "open" : "resolved"), 'none',
                     \(bind: agent), 0, \(bind: created), \(bind: created), \(bind: created), \(bind: reply), \(bind: resolved), \(bind: rating), '')
                    """)
                if number % 2 == 0 { labels.append("(\(bind: id), \(bind: ["withdrawal", "kyc", "2fa", "deposit"][number % 4]))") }
                if reply != nil {
                    let met = random.next() % 10 < 8
                    events.append("(\(bind: id), 'first_response', \(bind: met ? "met" : "breached"), 'p', 300, \(bind: met ? 100 : 300), \(bind: reply!))")
                }
                if let resolved {
                    surveys.append(
                        """
                        (\(bind: UUID().uuidString.lowercased()), \(bind: id), 1, \(bind: inbox), 'webchat', \(bind: rating == nil ? "sent" : "answered"),
                         'en', \(bind: agent), \(bind: resolved), \(bind: resolved), \(bind: resolved), \(bind: rating), \(bind: resolved))
                        """)
                }
            }
            let (batchRows, batchLabels, batchEvents, batchSurveys) = (rows, labels, events, surveys)
            try await database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO conversations (id, number, inbox_id, contact_id, status, priority, assignee_id, last_seq, last_activity_at, created_at,
                        updated_at, first_reply_at, resolved_at, csat_rating, sla_policy_id)
                    VALUES \(SQLList(batchRows, separator: SQLRaw(", ")))
                    """
                ).run()
                if !batchLabels.isEmpty {
                    try await sql.raw("INSERT INTO conversation_labels (conversation_id, label) VALUES \(SQLList(batchLabels, separator: SQLRaw(", ")))").run()
                }
                if !batchEvents.isEmpty {
                    try await sql.raw(
                        """
                        INSERT INTO sla_events (conversation_id, metric, kind, policy_id, target_seconds, elapsed_seconds, at)
                        VALUES \(SQLList(batchEvents, separator: SQLRaw(", ")))
                        """
                    ).run()
                }
                if !batchSurveys.isEmpty {
                    try await sql.raw(
                        """
                        INSERT INTO csat_surveys (id, conversation_id, resolution, inbox_id, channel, status, locale, agent_id, resolved_at, send_at,
                            sent_at, rating, created_at)
                        VALUES \(SQLList(batchSurveys, separator: SQLRaw(", ")))
                        """
                    ).run()
                }
            }
        }
    }
}

func reportBenchmarks() {
    // Each benchmark runs in a process of its own: each seeds its own copy.
    let report = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal], warmupIterations: 2, maxDuration: .seconds(20), maxIterations: 50)
    let counted = Prepared<SeededStore>()
    Benchmark("baseline: COUNT(*) of 100,000 conversations (SQLite)", configuration: report) { benchmark in
        guard let seeded = counted.value else { stopRun("no seeded store") }
        for _ in benchmark.scaledIterations {
            let count = try await seeded.store.countConversationsCreated(from: ReportCorpus.range.start, to: ReportCorpus.range.end)
            if count < ReportCorpus.conversations { stopRun("only \(count) conversations in the range") }
            blackHole(count)
        }
    } setup: {
        let seeded = try await SeededStore.make(messages: 0)
        try await ReportCorpus.seed(seeded.database)
        counted.value = seeded
    } teardown: {
        try await counted.value?.close()
    }
    let reported = Prepared<SeededStore>()
    Benchmark("reports: overview of 100,000 conversations (SQLite)", configuration: report) { benchmark in
        guard let seeded = reported.value else { stopRun("no seeded store") }
        for _ in benchmark.scaledIterations {
            let figures = try await Reports(store: seeded.store).figures(ReportCorpus.range)
            if figures.conversations < ReportCorpus.conversations { stopRun("the report saw \(figures.conversations)") }
            blackHole(figures)
        }
    } setup: {
        let seeded = try await SeededStore.make(messages: 0)
        try await ReportCorpus.seed(seeded.database)
        reported.value = seeded
    } teardown: {
        try await reported.value?.close()
    }
}
