import Benchmark
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KefuCore
import KefuMail
import KefuStore
import KefuWeb
import Logging
import NIOCore
import SQLiteNIO

// Each hot path is measured next to a baseline from the same run, so docs/benchmarks.md can
// quote ratios that survive a noisy shared machine:
//   store:  message append / conversation page   vs  a raw SQLite INSERT / SELECT on one connection
//   http:   POST a message through Kefu's router vs  a bare Hummingbird route

let logger: Logger = {
    var logger = Logger(label: "kefu.bench")
    logger.logLevel = .error
    return logger
}()

func temporaryDatabasePath(_ name: String) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-bench-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("\(name).sqlite").path
}

/// A migrated SQLite store with one conversation holding `messages` messages.
struct SeededStore {
    let store: SQLStore
    let database: SQLiteStoreDatabase
    let conversation: Conversation

    static func make(messages: Int) async throws -> SeededStore {
        let database = try await SQLiteStoreDatabase.open(path: temporaryDatabasePath("store"), logger: logger)
        try await Migrator().migrate(database, logger: logger)
        let store = SQLStore(database: database)
        let inbox = try await store.createInbox(name: "Bench", kind: .webchat, audit: nil)
        let contact = try await store.createContact(name: "Bench", email: nil, locale: "en")
        let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: "bench")
        for index in 0..<messages {
            _ = try await store.appendMessage(
                conversationId: conversation.id, NewMessage(direction: .incoming, author: .contact(contact.id), text: "history \(index)"))
        }
        return SeededStore(store: store, database: database, conversation: conversation)
    }
}

/// The id of the benchmark's seeded account number `index % 10,000` (a valid UUID, as routes require).
func benchAccount(_ index: Int) -> String { String(format: "00000000-0000-4000-8000-%012d", index % 10_000) }

/// State a benchmark's setup hook prepares once and its closure reads on every run.
final class Prepared<Value>: @unchecked Sendable {
    var value: Value?
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 20, maxDuration: .seconds(5), maxIterations: 20_000)
    // The HTTP benchmarks keep their test client inside one closure run, so each run sends
    // 1,000 requests and the figures are reported per request.
    let perRequest = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(5),
        maxIterations: 200)

    // MARK: store

    let rawWriter = Prepared<SQLiteConnection>()
    Benchmark("baseline: raw SQLite insert") { benchmark in
        let connection = rawWriter.value!
        for index in benchmark.scaledIterations {
            _ = try await connection.query(
                "INSERT INTO raw (id, seq, body, created_at) VALUES (?, ?, ?, ?)",
                [.text(UUID().uuidString), .integer(index), .text("您好，我的提现还没有到账。"), .integer(Int(Date().timeIntervalSince1970))])
        }
    } setup: {
        let connection = try await SQLiteConnection.open(storage: .file(path: temporaryDatabasePath("raw")), logger: logger)
        _ = try await connection.query("PRAGMA journal_mode = WAL")
        _ = try await connection.query("PRAGMA synchronous = NORMAL")
        _ = try await connection.query("CREATE TABLE raw (id TEXT PRIMARY KEY, seq INTEGER, body TEXT, created_at INTEGER)")
        rawWriter.value = connection
    } teardown: {
        try await rawWriter.value?.close()
    }

    let appendStore = Prepared<SeededStore>()
    Benchmark("store: append message") { benchmark in
        let seeded = appendStore.value!
        for _ in benchmark.scaledIterations {
            _ = try await seeded.store.appendMessage(
                conversationId: seeded.conversation.id,
                NewMessage(direction: .outgoing, author: .system, text: "您好，我的提现还没有到账。", clientMessageId: UUID().uuidString))
        }
    } setup: {
        appendStore.value = try await SeededStore.make(messages: 0)
    } teardown: {
        try await appendStore.value?.database.close()
    }

    let rawReader = Prepared<SQLiteConnection>()
    Benchmark("baseline: raw SQLite select 50 rows") { benchmark in
        let connection = rawReader.value!
        for _ in benchmark.scaledIterations {
            blackHole(try await connection.query("SELECT id, seq, body FROM raw WHERE conversation = 'c' AND seq > 500 ORDER BY seq LIMIT 50"))
        }
    } setup: {
        let connection = try await SQLiteConnection.open(storage: .file(path: temporaryDatabasePath("rawread")), logger: logger)
        _ = try await connection.query("CREATE TABLE raw (id TEXT PRIMARY KEY, conversation TEXT, seq INTEGER, body TEXT)")
        _ = try await connection.query("CREATE INDEX raw_seq ON raw (conversation, seq)")
        for index in 0..<1000 {
            _ = try await connection.query(
                "INSERT INTO raw VALUES (?, 'c', ?, ?)", [.text(UUID().uuidString), .integer(index), .text("history \(index)")])
        }
        rawReader.value = connection
    } teardown: {
        try await rawReader.value?.close()
    }

    let readStore = Prepared<SeededStore>()
    Benchmark("store: read conversation page (50 of 1000 messages)") { benchmark in
        let seeded = readStore.value!
        for _ in benchmark.scaledIterations {
            blackHole(try await seeded.store.messages(conversationId: seeded.conversation.id, since: 500, limit: 50))
        }
    } setup: {
        readStore.value = try await SeededStore.make(messages: 1000)
    } teardown: {
        try await readStore.value?.database.close()
    }

    // MARK: mail

    // A realistic mix: Foxmail GBK, Outlook QP with an attachment, Apple Mail nested multipart,
    // an HTML-only mail, Big5 — each run parses all five.
    let corpus: [[UInt8]] = ["foxmail-gbk.eml", "outlook-gb2312-qp.eml", "apple-mail-utf8.eml", "html-only.eml", "big5.eml"].map {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../Tests/KefuMailTests/Fixtures/\($0)")
        return [UInt8]((try? Data(contentsOf: url)) ?? Data())
    }
    Benchmark("baseline: UTF-8 decode of the same mails") { benchmark in
        for _ in benchmark.scaledIterations {
            for mail in corpus { blackHole(String(decoding: mail, as: UTF8.self)) }
        }
    }
    Benchmark("mail: parse 5 mails (MIME, charsets, HTML)") { benchmark in
        for _ in benchmark.scaledIterations {
            for mail in corpus { blackHole(ParsedMail.parse(mail)) }
        }
    }

    let ingestStore = Prepared<(SeededStore, InboxID)>()
    Benchmark("mail: parse + store one mail (ingestMail, SQLite)") { benchmark in
        let (seeded, inbox) = ingestStore.value!
        for _ in benchmark.scaledIterations {
            let parsed = ParsedMail.parse(corpus[1])
            let mail = InboundMail(
                messageId: UUID().uuidString + "@bench", threadIds: parsed.threadIds, fromAddress: parsed.from?.normalized,
                fromName: parsed.from?.name, subject: parsed.subject, text: parsed.text, rawSha256: String(repeating: "a", count: 64),
                size: Int64(corpus[1].count))
            blackHole(try await seeded.store.ingestMail(mail, inboxId: inbox, reopenWindow: 86400))
        }
    } setup: {
        let seeded = try await SeededStore.make(messages: 0)
        let inbox = try await seeded.store.createInbox(name: "Mail", kind: .email, audit: nil)
        ingestStore.value = (seeded, inbox.id)
    } teardown: {
        try await ingestStore.value?.0.database.close()
    }

    // MARK: limits and risk

    // One decision: lock the account, sum its windows over its history, decide, record.
    // The store holds 1,000,000 past authorizations: 100 for each of 10,000 accounts over 30 days.
    /// A store with 10,000 tier-2 accounts and `perAccount` past authorizations each, spread
    /// over the last 30 days (a third of them withdrawals).
    func riskSeeded(perAccount: Int) async throws -> SeededStore {
        let seeded = try await SeededStore.make(messages: 0)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let total = 10_000 * perAccount
        try await seeded.database.write { sql in
            try await sql.raw(
                """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
                INSERT INTO accounts (id, email, password_hash, tier, totp_enabled, created_at, updated_at)
                SELECT printf('00000000-0000-4000-8000-%012d', i), 'holder' || i || '@example.cn', 'h', 2, 0, \(bind: now), \(bind: now) FROM n
                """
            ).run()
            guard total > 0 else { return }
            try await sql.raw(
                """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(bind: total - 1))
                INSERT INTO authorizations (id, account_id, idempotency_key, request_hash, kind, asset, amount, value_micros, outcome, code,
                    status, holds, window_name, window_limit, window_used, per_transaction, cap_24h, cap_30d, created_at, updated_at)
                SELECT 'seed-' || i, printf('00000000-0000-4000-8000-%012d', i % 10000), 'seed-' || i, 'h', CASE WHEN i % 3 = 0 THEN 'withdrawal' ELSE 'transfer' END,
                    'USDT', '10', 10000000, 'approved', 'within_limits', 'approved', '[]', 'rolling_24h', 0, 0, 0, 0, 0,
                    \(bind: now) - (i / 10000) * \(bind: Int64(2_592_000_000 / max(perAccount, 1))) - (i % 10000),
                    \(bind: now) - (i / 10000) * \(bind: Int64(2_592_000_000 / max(perAccount, 1))) - (i % 10000)
                FROM n
                """
            ).run()
        }
        return seeded
    }
    let riskPolicy = RiskPolicy.standard
    // One decision: lock the account, sum its windows, decide, record; against an empty history
    // and against 1,000,000 past authorizations (100 for each of 10,000 accounts).
    for (name, perAccount) in [("risk: authorize (no past authorizations, SQLite)", 0), ("risk: authorize (1M past authorizations, SQLite)", 100)] {
        let riskStore = Prepared<SeededStore>()
        Benchmark(name, configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxIterations: 20_000)) { benchmark in
            let store = riskStore.value!.store
            let now = Date()
            for index in benchmark.scaledIterations {
                let request = AuthorizationRequest(kind: .transfer, value: USD(whole: 1))
                let (authorization, _) = try await store.authorize(
                    accountId: AccountID(rawValue: benchAccount(index)),
                    NewAuthorization(idempotencyKey: UUID().uuidString, requestHash: "h", request: request, asset: "USDT", amount: "1"), now: now,
                    decide: { AuthorizationRules.decide(request, activity: $0, policy: riskPolicy, now: now) })
                precondition(authorization.status == .approved)
            }
        } setup: {
            riskStore.value = try await riskSeeded(perAccount: perAccount)
        } teardown: {
            try await riskStore.value?.database.close()
        }
    }

    // The same decision on PostgreSQL (KEFU_BENCH_POSTGRES_URL; skipped without it): the account
    // row is locked for each decision. 1,000,000 past authorizations, seeded once.
    if let url = ProcessInfo.processInfo.environment["KEFU_BENCH_POSTGRES_URL"] {
        // Its baseline: one autocommitted INSERT through the same pool (a commit, a WAL flush).
        Benchmark("baseline: raw PostgreSQL insert", configuration: perRequest) { benchmark in
            nonisolated(unsafe) let benchmark = benchmark
            try await withDatabase(.postgres(url: url), logger: logger) { database in
                try await database.write { sql in
                    try await sql.raw("CREATE TABLE IF NOT EXISTS raw_bench (id TEXT PRIMARY KEY, seq BIGINT, body TEXT, created_at BIGINT)").run()
                }
                benchmark.startMeasurement()
                for index in benchmark.scaledIterations {
                    try await database.read { sql in
                        try await sql.raw(
                            "INSERT INTO raw_bench (id, seq, body, created_at) VALUES (\(bind: UUID().uuidString), \(bind: index), \(bind: "您好"), \(bind: 0))"
                        ).run()
                    }
                }
                benchmark.stopMeasurement()
            }
        }
        Benchmark("risk: authorize (1M past authorizations, PostgreSQL)", configuration: perRequest) { benchmark in
            nonisolated(unsafe) let benchmark = benchmark
            try await withDatabase(.postgres(url: url), logger: logger) { database in
                try await Migrator().migrate(database, logger: logger)
                let store = SQLStore(database: database)
                try await database.write { sql in
                    guard try await sql.raw("SELECT id FROM authorizations LIMIT 1").first() == nil else { return }
                    let now = Int64(Date().timeIntervalSince1970 * 1000)
                    try await sql.raw(
                        """
                        INSERT INTO accounts (id, email, password_hash, tier, totp_enabled, created_at, updated_at)
                        SELECT '00000000-0000-4000-8000-' || lpad(i::text, 12, '0'), 'holder' || i || '@example.cn', 'h', 2, false, \(bind: now), \(bind: now)
                        FROM generate_series(0, 9999) AS i
                        """
                    ).run()
                    try await sql.raw(
                        """
                        INSERT INTO authorizations (id, account_id, idempotency_key, request_hash, kind, asset, amount, value_micros, outcome, code,
                            status, holds, window_name, window_limit, window_used, per_transaction, cap_24h, cap_30d, created_at, updated_at)
                        SELECT 'seed-' || i, '00000000-0000-4000-8000-' || lpad((i % 10000)::text, 12, '0'), 'seed-' || i, 'h',
                            CASE WHEN i % 3 = 0 THEN 'withdrawal' ELSE 'transfer' END, 'USDT', '10', 10000000, 'approved', 'within_limits',
                            'approved', '[]', 'rolling_24h', 0, 0, 0, 0, 0,
                            \(bind: now) - (i / 10000) * 25920000 - (i % 10000), \(bind: now) - (i / 10000) * 25920000 - (i % 10000)
                        FROM generate_series(0::bigint, 999999) AS i
                        """
                    ).run()
                    try await sql.raw("ANALYZE authorizations").run()
                }
                let now = Date()
                benchmark.startMeasurement()
                for index in benchmark.scaledIterations {
                    let request = AuthorizationRequest(kind: .transfer, value: USD(whole: 1))
                    let (authorization, _) = try await store.authorize(
                        accountId: AccountID(rawValue: benchAccount(index)),
                        NewAuthorization(idempotencyKey: UUID().uuidString, requestHash: "h", request: request, asset: "USDT", amount: "1"),
                        now: now, decide: { AuthorizationRules.decide(request, activity: $0, policy: riskPolicy, now: now) })
                    precondition(authorization.status == .approved)
                }
                benchmark.stopMeasurement()
            }
        }
    }

    // The same decision through HTTP: service token, JSON in and out, the explanation.
    let riskHTTP = Prepared<(SeededStore, String)>()
    Benchmark("http: POST /api/v1/accounts/{id}/authorizations (1M past)", configuration: perRequest) { benchmark in
        let (seeded, token) = riskHTTP.value!
        let configuration = AppConfiguration(
            dataDirectory: FileManager.default.temporaryDirectory, secretKey: Data(repeating: 1, count: 32), passwordHashCost: 4)
        let app = try await buildApplication(configuration: configuration, store: seeded.store, logger: logger)
        nonisolated(unsafe) let benchmark = benchmark
        try await app.test(.router) { client in
            let headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)"]
            benchmark.startMeasurement()
            for index in benchmark.scaledIterations {
                let response = try await client.execute(
                    uri: "/api/v1/accounts/\(benchAccount(index))/authorizations", method: .post, headers: headers,
                    body: ByteBuffer(string: #"{"kind":"transfer","asset":"USDT","amount":"1","valueUsd":"1","idempotencyKey":"\#(UUID().uuidString)"}"#))
                precondition(response.status == .created)
            }
            benchmark.stopMeasurement()
        }
    } setup: {
        let seeded = try await riskSeeded(perAccount: 100)
        let (_, token) = try await ServiceTokens.issue(name: "bench", scope: "risk", store: seeded.store)
        riskHTTP.value = (seeded, token)
    } teardown: {
        try await riskHTTP.value?.0.database.close()
    }

    // MARK: accounts

    let hasher = PasswordHasher(cost: 12)
    let storedHash = Prepared<String>()
    Benchmark("baseline: one TOTP code (one HMAC-SHA1)", configuration: .init(metrics: [.wallClock, .throughput], maxIterations: 20_000)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(TOTPService().code(secret: "JBSWY3DPEHPK3PXP", step: 1)) }
    }
    Benchmark("account: password check (bcrypt cost 12)", configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(10), maxIterations: 40)) {
        benchmark in
        for _ in benchmark.scaledIterations { blackHole(try await hasher.verify("钱包密码-Secure-2026!", hash: storedHash.value!)) }
    } setup: {
        storedHash.value = try await hasher.hash("钱包密码-Secure-2026!")
    }
    Benchmark("account: TOTP check (±1 step)", configuration: .init(metrics: [.wallClock, .throughput], maxIterations: 20_000)) { benchmark in
        let totp = TOTPService()
        let code = totp.code(secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", step: TOTPService.step(at: Date()))
        for _ in benchmark.scaledIterations { blackHole(totp.matchingStep(secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", code: code, now: Date())) }
    }

    // MARK: http

    Benchmark("baseline: bare Hummingbird route", configuration: perRequest) { benchmark in
        let router = Router()
        router.post("/echo") { _, _ in "ok" }
        let app = Application(router: router, logger: logger)
        // The harness drives one benchmark at a time; the test client's closure is @Sendable.
        nonisolated(unsafe) let benchmark = benchmark
        try await app.test(.router) { client in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await client.execute(uri: "/echo", method: .post, body: ByteBuffer(string: #"{"text":"hi"}"#)))
            }
            benchmark.stopMeasurement()
        }
    }

    let httpStore = Prepared<SeededStore>()
    Benchmark("http: POST /api/v1/conversations/{id}/messages", configuration: perRequest) { benchmark in
        let seeded = httpStore.value!
        let configuration = AppConfiguration(
            dataDirectory: FileManager.default.temporaryDirectory, secretKey: Data(repeating: 1, count: 32), passwordHashCost: 4)
        let app = try await buildApplication(configuration: configuration, store: seeded.store, logger: logger)
        nonisolated(unsafe) let benchmark = benchmark
        try await app.test(.router) { client in
            let login = try await client.execute(
                uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email":"bench@kefu.example","password":"a long test passphrase"}"#))
            let token = try JSONDecoder().decode([String: AnyDecodable].self, from: Data(buffer: login.body))["token"]?.string ?? ""
            let headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)"]
            let uri = "/api/v1/conversations/\(seeded.conversation.id)/messages"
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let response = try await client.execute(
                    uri: uri, method: .post, headers: headers, body: ByteBuffer(string: #"{"text":"您好，我们正在核查您的提现。"}"#))
                precondition(response.status == .created)
            }
            benchmark.stopMeasurement()
        }
    } setup: {
        let seeded = try await SeededStore.make(messages: 0)
        _ = try await AgentInvitation(store: seeded.store, hasher: PasswordHasher(cost: 4)).invite(
            email: "bench@kefu.example", name: "Bench", role: .admin, password: "a long test passphrase", audit: nil)
        httpStore.value = seeded
    } teardown: {
        try await httpStore.value?.database.close()
    }
}

/// Enough JSON decoding to pick a string out of the login response.
struct AnyDecodable: Decodable {
    let string: String?
    init(from decoder: any Decoder) throws {
        string = try? decoder.singleValueContainer().decode(String.self)
    }
}
