import BenchSupport
import Benchmark
import Foundation
import KefuApp
import KefuCore
import KefuHelp
import KefuStore

// Help-center search over 10,000 published articles (20,000 documents, both languages) on
// SQLite and, with KEFU_BENCH_POSTGRES_URL, on PostgreSQL: the whole service path a reader's
// query takes (analysis, typo check, the database's match and rank, re-ranking, snippets).

/// The queries people type (the search-quality test's), taken in turn.
let helpQueries: [(String, HelpLocale)] = [
    ("提币", .zhCN), ("限额", .zhCN), ("忘记密码", .zhCN), ("双重验证", .zhCN), ("谷歌验证器丢了", .zhCN), ("忘記密碼", .zhCN),
    ("提幣限額", .zhCN), ("防钓鱼码", .zhCN), ("2FA 重置", .zhCN), ("forgot password", .en), ("withdrawal limits", .en),
    ("lost authenticator", .en), ("authenticater", .en), ("anti-phishing code", .en), ("withdrawal on hold", .en), ("withdrawls", .en),
]

/// 10,000 articles: the starter set's twenty, each varied 500 times with a paragraph of words
/// drawn from the whole set (a fixed seed), so common words match thousands of documents.
enum HelpCorpus {
    static let articles = 10_000

    static func seed(_ store: SQLStore) async throws {
        let starter = try HelpStarter.load()
        let already = try await store.liveHelpArticles(categoryId: nil, order: .recent, limit: articles + 1).count
        if already >= articles { return }
        guard already == 0 else { stopRun("a help corpus of \(already) articles is there already: use an empty database") }
        var words: [HelpLocale: [Substring]] = [:]
        for locale in HelpLocale.allCases {
            words[locale] = starter.articles.flatMap { ($0.translations[locale]?.body ?? "").split(whereSeparator: \.isWhitespace) }
        }
        var random = SplitMix64(seed: 42)
        let editor = AgentID.generate()
        for index in 0..<articles {
            let base = starter.articles[index % starter.articles.count]
            var translations: [HelpLocale: ArticleTranslation] = [:]
            for (locale, text) in base.translations {
                let pool = words[locale] ?? []
                let extra = (0..<80).map { _ in String(pool[Int(random.next() % UInt64(pool.count))]) }.joined(separator: " ")
                translations[locale] = ArticleTranslation(title: "\(text.title) \(index)", body: text.body + "\n\n" + extra)
            }
            // Kefu's own text, so rendered in this process (the server renders in a child).
            let content = ArticleContent(categoryId: nil, translations: translations, rendered: translations.mapValues { ArticleMarkdown.render($0.body) })
            _ = try await store.createHelpArticle(
                slug: "\(base.slug)-\(index)", content: content, by: editor, publish: HelpArticles.documents(for: content), audit: nil)
        }
        let seeded = try await store.liveHelpArticles(categoryId: nil, order: .recent, limit: articles + 1).count
        guard seeded == articles else { stopRun("seeded \(seeded) help articles, not \(articles)") }
    }
}

/// A small deterministic generator, so every run searches the same corpus.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func helpSearchBenchmarks() {
    let search = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 16, maxDuration: .seconds(10), maxIterations: 5_000)
    let sqlite = Prepared<SeededStore>()
    let turn = Counter()
    Benchmark("help: search 10,000 articles (SQLite)", configuration: search) { benchmark in
        guard let seeded = sqlite.value else { stopRun("no seeded store") }
        let service = HelpSearch(store: seeded.store)
        for _ in benchmark.scaledIterations {
            let (query, locale) = helpQueries[turn.next() % helpQueries.count]
            let result = try await service.search(query, locale: locale, recordMiss: false)
            if result.items.isEmpty { stopRun("\(query) found nothing in the corpus") }
            blackHole(result)
        }
    } setup: {
        // KEFU_BENCH_HELP_SQLITE keeps the seeded corpus in that file between runs (seeding
        // 10,000 articles takes minutes); by default it is made fresh and removed after.
        if let path = ProcessInfo.processInfo.environment["KEFU_BENCH_HELP_SQLITE"] {
            let database = try await SQLiteStoreDatabase.open(path: path, logger: logger)
            try await Migrator().migrate(database, logger: logger)
            let store = SQLStore(database: database)
            try await HelpCorpus.seed(store)
            sqlite.value = SeededStore(store: store, database: database, conversation: nil, directory: nil)
        } else {
            let seeded = try await SeededStore.make(messages: 0)
            try await HelpCorpus.seed(seeded.store)
            sqlite.value = seeded
        }
    } teardown: {
        try await sqlite.value?.close()
    }

    if let url = ProcessInfo.processInfo.environment["KEFU_BENCH_POSTGRES_URL"] {
        let postgres = Prepared<HeldDatabase>()
        let postgresTurn = Counter()
        Benchmark("help: search 10,000 articles (PostgreSQL)", configuration: search) { benchmark in
            guard let held = postgres.value else { stopRun("no PostgreSQL pool") }
            let service = HelpSearch(store: SQLStore(database: held.database))
            for _ in benchmark.scaledIterations {
                let (query, locale) = helpQueries[postgresTurn.next() % helpQueries.count]
                let result = try await service.search(query, locale: locale, recordMiss: false)
                if result.items.isEmpty { stopRun("\(query) found nothing in the corpus") }
                blackHole(result)
            }
        } setup: {
            let held = try await HeldDatabase.open(.postgres(url: url))
            try await Migrator().migrate(held.database, logger: logger)
            try await HelpCorpus.seed(SQLStore(database: held.database))
            postgres.value = held
        } teardown: {
            await postgres.value?.close()
        }
    }
}

/// A database kept open across a benchmark's runs (the store opens PostgreSQL only for the
/// length of a closure): a task holds the scope open until `close()`.
final class HeldDatabase: @unchecked Sendable {
    let database: any KefuStore.Database
    private let release: AsyncStream<Void>.Continuation
    private let task: Task<Void, Never>

    private init(database: any KefuStore.Database, release: AsyncStream<Void>.Continuation, task: Task<Void, Never>) {
        self.database = database
        self.release = release
        self.task = task
    }

    static func open(_ location: DatabaseLocation) async throws -> HeldDatabase {
        let (released, release) = AsyncStream<Void>.makeStream()
        let (opened, open) = AsyncThrowingStream<any KefuStore.Database, any Error>.makeStream()
        let task = Task {
            do {
                try await withDatabase(location, logger: logger) { database in
                    open.yield(database)
                    for await _ in released { break }
                }
            } catch {
                open.finish(throwing: error)
            }
        }
        for try await database in opened { return HeldDatabase(database: database, release: release, task: task) }
        stopRun("the database did not open")
    }

    func close() async {
        release.yield()
        release.finish()
        await task.value
    }
}
