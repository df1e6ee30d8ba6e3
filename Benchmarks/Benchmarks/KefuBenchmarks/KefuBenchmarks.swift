import BenchSupport
import Benchmark
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KefuAccounts
import KefuApp
import KefuChannels
import KefuCore
import KefuMail
import KefuRealtime
import KefuRisk
import KefuStore
import KefuWeb
import Logging
import NIOCore
import SQLiteNIO

// Each hot path is measured next to a baseline from the same run, so docs/benchmarks.md can
// quote ratios that survive a noisy shared machine:
//   store:  message append / conversation page   vs  a raw SQLite INSERT / SELECT on one connection
//   http:   POST a message through Kefu's router vs  a bare Hummingbird route
//   mail:   parse / receive a mail               vs  a UTF-8 decode of the bytes / a raw SQLite INSERT
//   risk:   one limit decision                   vs  a raw SQLite (or PostgreSQL) INSERT

let logger: Logger = {
    var logger = Logger(label: "kefu.bench")
    logger.logLevel = .error
    return logger
}()

/// A fresh directory under the system's temporary directory; teardowns remove it.
func temporaryDirectory() -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-bench-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

func temporaryDatabasePath(_ name: String) -> String {
    temporaryDirectory().appendingPathComponent("\(name).sqlite").path
}

/// A migrated SQLite store with one conversation holding `messages` messages.
struct SeededStore {
    let store: SQLStore
    let database: SQLiteStoreDatabase
    let conversation: Conversation!
    /// Removed on close; nil for a store kept between runs.
    let directory: URL?

    static func make(messages: Int) async throws -> SeededStore {
        let directory = temporaryDirectory()
        let database = try await SQLiteStoreDatabase.open(path: directory.appendingPathComponent("store.sqlite").path, logger: logger)
        try await Migrator().migrate(database, logger: logger)
        let store = SQLStore(database: database)
        let inbox = try await store.createInbox(name: "Bench", kind: .webchat, audit: nil)
        let contact = try await store.createContact(name: "Bench", email: nil, locale: "en")
        let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: "bench")
        for index in 0..<messages {
            _ = try await store.appendMessage(
                conversationId: conversation.id, NewMessage(direction: .incoming, author: .contact(contact.id), text: "history \(index)"))
        }
        return SeededStore(store: store, database: database, conversation: conversation, directory: directory)
    }

    /// Closes the database and removes its files (a seeded risk store is a few hundred MB).
    func close() async throws {
        try await database.close()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
}

/// A mail from the mail tests' fixtures. A missing or empty file stops the run: an empty corpus
/// parses in no time and would print a figure that measures nothing.
func mailFixture(_ name: String) -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../Tests/KefuMailTests/Fixtures/\(name)").standardized
    guard let data = FileManager.default.contents(atPath: url.path) else {
        stopRun("mail fixture \(url.path) is missing: the mail benchmarks read Kefu's test fixtures from this checkout")
    }
    guard !data.isEmpty else { stopRun("mail fixture \(url.path) is empty") }
    return [UInt8](data)
}

/// State a benchmark's setup hook prepares once and its closure reads on every run.
final class Prepared<Value>: @unchecked Sendable {
    var value: Value?
}

/// A counter that goes on across a benchmark's runs (`scaledIterations` restarts at 0 in each).
final class Counter: @unchecked Sendable {
    private var value = 0
    func next() -> Int {
        defer { value += 1 }
        return value
    }
}

/// A fixture mail that can be sent again from any address with any Message-ID.
struct SenderTemplate: Sendable {
    /// The From line up to its address's "<", the rest of it from ">", the other header lines
    /// with the body.
    let fromHead: [UInt8]
    let fromTail: [UInt8]
    let rest: [UInt8]

    init(_ raw: [UInt8]) {
        // Latin-1 maps each byte to one character and back, so 8-bit headers and bodies survive.
        let text = String(raw.map { Character(Unicode.Scalar($0)) })
        func bytes(_ part: some StringProtocol) -> [UInt8] { part.unicodeScalars.map { UInt8($0.value) } }
        guard let end = text.range(of: "\r\n\r\n") else { stopRun("the fixture mail has no CRLF blank line after its headers") }
        var lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        guard let fromIndex = lines.firstIndex(where: { $0.lowercased().hasPrefix("from:") }),
            let open = lines[fromIndex].lastIndex(of: "<"), let close = lines[fromIndex].lastIndex(of: ">"), open < close
        else { stopRun("the fixture mail has no one-line From: … <address> header") }
        let from = lines[fromIndex]
        fromHead = bytes(from[...open])
        fromTail = bytes(from[close...]) + bytes("\r\n")
        lines.remove(at: fromIndex)
        lines.removeAll { $0.lowercased().hasPrefix("message-id:") }
        rest = bytes(lines.joined(separator: "\r\n")) + bytes(text[end.lowerBound...])
    }

    func bytes(from address: String, messageId: String) -> [UInt8] {
        fromHead + Array(address.utf8) + fromTail + Array("Message-ID: <\(messageId)>\r\n".utf8) + rest
    }
}

/// A fresh store with the risk engine's load (`seedRiskHistory`).
func riskSeeded(perAccount: Int) async throws -> SeededStore {
    let seeded = try await SeededStore.make(messages: 0)
    try await seedRiskHistory(seeded.database, perAccount: perAccount)
    return seeded
}

/// Runs a teardown's check, then closes the store whether or not the check passed.
func closeAfterChecking(_ seeded: SeededStore?, _ check: (any KefuStore.Database) async throws -> Void) async throws {
    guard let seeded else { return }
    do {
        try await check(seeded.database)
    } catch {
        try await seeded.close()
        throw error
    }
    try await seeded.close()
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
        try await appendStore.value?.close()
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
        try await readStore.value?.close()
    }

    // MARK: mail

    // A realistic mix: Foxmail GBK, Outlook QP with an attachment, Apple Mail nested multipart,
    // an HTML-only mail, Big5 — each run parses all five. Read in setup, which stops the run
    // with the path when a fixture is missing or empty.
    let corpusNames = ["foxmail-gbk.eml", "outlook-gb2312-qp.eml", "apple-mail-utf8.eml", "html-only.eml", "big5.eml"]
    let corpus = Prepared<[[UInt8]]>()
    let loadCorpus: @Sendable () -> Void = { corpus.value = corpusNames.map(mailFixture) }
    Benchmark("baseline: UTF-8 decode of the same mails") { benchmark in
        for _ in benchmark.scaledIterations {
            for mail in corpus.value! { blackHole(String(decoding: mail, as: UTF8.self)) }
        }
    } setup: {
        loadCorpus()
    }
    Benchmark("mail: parse 5 mails (MIME, charsets, HTML)") { benchmark in
        for _ in benchmark.scaledIterations {
            for mail in corpus.value! { blackHole(ParsedMail.parse(mail)) }
        }
    } setup: {
        loadCorpus()
    }

    // One mail from a new customer, taken the way the SMTP listener and `kefu ingest-email`
    // take it (EmailIngest): the raw bytes and the attachment into the blob store, parse, one
    // transaction (a new contact, the threading lookups, a new conversation, the message, its
    // attachment), then the acknowledgement composed and queued. Every run is a new sender with
    // a new Message-ID, so every run stores a new conversation for a new contact.
    let ingestState = Prepared<(seeded: SeededStore, ingest: EmailIngest, mail: SenderTemplate)>()
    let senders = Counter()
    Benchmark("mail: receive one mail from a new sender (EmailIngest, SQLite)") { benchmark in
        let state = ingestState.value!
        for _ in benchmark.scaledIterations {
            let number = senders.next()
            let address = "customer\(number)@outlook.com"
            let outcome = try await state.ingest.ingest(
                raw: state.mail.bytes(from: address, messageId: "bench.\(number).\(UUID().uuidString)@outlook.com"),
                envelope: SMTPEnvelope(
                    mailFrom: address, recipients: ["support@kefu.example"], clientHostname: "bench.example", clientAddress: "127.0.0.1",
                    usedTLS: false))
            precondition(
                outcome.newConversation && outcome.contact?.email == address && outcome.appended?.message.attachments.count == 1,
                "the mail did not become a new conversation of a new contact with its attachment")
        }
    } setup: {
        let seeded = try await SeededStore.make(messages: 0)
        let settings = EmailSettings(supportAddress: "support@kefu.example")
        let channel = EmailChannel(
            store: seeded.store, blobs: AttachmentBlobStore(dataDirectory: seeded.directory ?? temporaryDirectory()), hub: EventHub(), settings: settings, logger: logger)
        try await channel.ingest.prepareInbox()
        ingestState.value = (seeded, channel.ingest, SenderTemplate(mailFixture("outlook-gb2312-qp.eml")))
    } teardown: {
        try await ingestState.value?.seeded.close()
    }

    // MARK: limits and risk

    let riskPolicy = RiskPolicy.standard
    // One decision: lock the account, sum its windows, decide, record; against an empty history
    // and against 1,000,000 past authorizations (100 for each of 10,000 accounts). Consecutive
    // decisions go to different accounts (AccountRotation).
    for (name, perAccount) in [("risk: authorize (no past authorizations, SQLite)", 0), ("risk: authorize (1M past authorizations, SQLite)", 100)] {
        let riskStore = Prepared<SeededStore>()
        let rotation = AccountRotation()
        Benchmark(name, configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxIterations: 20_000)) { benchmark in
            let store = riskStore.value!.store
            for _ in benchmark.scaledIterations {
                let (account, key) = rotation.next()
                try await approveOneDollar(store, account: account, key: key, policy: riskPolicy)
            }
        } setup: {
            riskStore.value = try await riskSeeded(perAccount: perAccount)
        } teardown: {
            try await closeAfterChecking(riskStore.value) { try await rotation.verifySpread(on: $0) }
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
        let postgresRotation = AccountRotation()
        Benchmark("risk: authorize (1M past authorizations, PostgreSQL)", configuration: perRequest) { benchmark in
            nonisolated(unsafe) let benchmark = benchmark
            try await withDatabase(.postgres(url: url), logger: logger) { database in
                try await Migrator().migrate(database, logger: logger)
                let store = SQLStore(database: database)
                try await seedRiskHistory(database, perAccount: 100)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    let (account, key) = postgresRotation.next()
                    try await approveOneDollar(store, account: account, key: key, policy: riskPolicy)
                }
                benchmark.stopMeasurement()
                try await postgresRotation.verifySpread(on: database)
            }
        }
    }

    // The same decision through HTTP: service token, JSON in and out, the explanation; the
    // requests rotate over the accounts like the store's decisions.
    let riskHTTP = Prepared<(SeededStore, String)>()
    let httpRotation = AccountRotation()
    Benchmark("http: POST /api/v1/accounts/{id}/authorizations (1M past)", configuration: perRequest) { benchmark in
        let (seeded, token) = riskHTTP.value!
        let configuration = AppConfiguration(
            dataDirectory: FileManager.default.temporaryDirectory, secretKey: Data(repeating: 1, count: 32), passwordHashCost: 4)
        let app = try await buildApplication(configuration: configuration, store: seeded.store, logger: logger)
        nonisolated(unsafe) let benchmark = benchmark
        try await app.test(.router) { client in
            let headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)"]
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let (account, key) = httpRotation.next()
                let response = try await client.execute(
                    uri: "/api/v1/accounts/\(account.rawValue)/authorizations", method: .post, headers: headers,
                    body: ByteBuffer(string: #"{"kind":"transfer","asset":"USDT","amount":"1","valueUsd":"1","idempotencyKey":"\#(key)"}"#))
                precondition(response.status == .created)
            }
            benchmark.stopMeasurement()
        }
    } setup: {
        let seeded = try await riskSeeded(perAccount: 100)
        let (_, token) = try await ServiceTokens.issue(name: "bench", scope: "risk", store: seeded.store)
        riskHTTP.value = (seeded, token)
    } teardown: {
        guard let (seeded, _) = riskHTTP.value else { return }
        do {
            try await httpRotation.verifySpread(on: seeded.database)
        } catch {
            try await seeded.close()
            throw error
        }
        try await seeded.close()
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

    helpSearchBenchmarks()
    reportBenchmarks()
    secretScanBenchmarks()
    throughputBenchmarks()
    concurrentDecisionBenchmarks()

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
        try await httpStore.value?.close()
    }
}

/// Enough JSON decoding to pick a string out of the login response.
struct AnyDecodable: Decodable {
    let string: String?
    init(from decoder: any Decoder) throws {
        string = try? decoder.singleValueContainer().decode(String.self)
    }
}
