import Foundation
import KefuCore
import KefuHelp
import KefuStore
import KefuTestSupport
import Testing

/// Writing and publishing articles: drafts stay private, the live version is what readers and
/// search see, editors cannot overwrite each other, and only editors write.
@Suite struct HelpArticlesTests {
    static let editor = Agent(id: .generate(), email: "editor@kefu.example", name: "Editor", role: .supervisor, createdAt: Date())
    static let agent = Agent(id: .generate(), email: "agent@kefu.example", name: "Agent", role: .agent, createdAt: Date())

    static func content(_ en: String, _ zh: String, body: String = "Body text.", category: String? = nil) -> ArticleContent {
        ArticleContent(
            categoryId: category,
            translations: [.en: ArticleTranslation(title: en, body: "\(body) \(en)"), .zhCN: ArticleTranslation(title: zh, body: "正文。\(zh)")])
    }

    @Test(arguments: TestBackend.available)
    func draftsArePrivateAndPublishedVersionsAreFoundAtOnce(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let articles = HelpArticles(store: store, renderer: InProcessMarkdown())
            let search = HelpSearch(store: store)
            let draft = try await articles.create(Self.content("Freeze my account", "冻结账户"), slug: nil, publish: false, editor: Self.editor, source: .system)
            #expect(draft.slug == "freeze-my-account")
            #expect(draft.status == .draft && draft.liveVersion == nil)
            #expect(try await search.search("freeze", locale: .en).items.isEmpty)
            await #expect(throws: HelpError.notFound("article")) { try await articles.live(slug: "freeze-my-account") }

            let live = try await articles.publish(draft.id, version: nil, editor: Self.editor, source: .system)
            #expect(live.status == .published && live.liveVersion == 1)
            #expect(try await search.search("freeze", locale: .en).items.map(\.slug) == ["freeze-my-account"])
            #expect(try await search.search("冻结", locale: .zhCN).items.first?.locale == .zhCN)

            // A new version is a draft: readers and search keep the live one until it is published.
            let edited = try await articles.save(
                draft.id, content: Self.content("Lock my account", "锁定账户"), expectedVersion: 1, editor: Self.editor, source: .system)
            #expect(edited.latestVersion == 2 && edited.liveVersion == 1 && edited.hasUnpublishedChanges)
            #expect(try await articles.live(slug: "freeze-my-account").content.translation(.en).title == "Freeze my account")
            #expect(try await search.search("lock", locale: .en).items.isEmpty)
            _ = try await articles.publish(draft.id, version: nil, editor: Self.editor, source: .system)
            #expect(try await search.search("lock", locale: .en).items.map(\.slug) == ["freeze-my-account"])
            #expect(try await search.search("freeze", locale: .en).items.isEmpty)

            // An older version can go live again (a rollback); the history says which is live.
            _ = try await articles.publish(draft.id, version: 1, editor: Self.editor, source: .system)
            let (current, versions) = try await articles.article(draft.id)
            #expect(current.liveVersion == 1 && current.latestVersion == 2)
            #expect(versions.map(\.version) == [2, 1])
            #expect(try await search.search("freeze", locale: .en).items.count == 1)

            // Unpublished: off the site and out of search, versions kept.
            _ = try await articles.unpublish(draft.id, editor: Self.editor, source: .system)
            #expect(try await search.search("freeze", locale: .en).items.isEmpty)
            #expect(try await store.knownHelpWords(["freeze"]).isEmpty)
            await #expect(throws: HelpError.conflict("article")) { try await articles.unpublish(draft.id, editor: Self.editor, source: .system) }
            #expect(try await articles.article(draft.id).1.count == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func twoEditorsSavingAtOnceOneWinsOneIsToldOfTheConflict(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let articles = HelpArticles(store: store, renderer: InProcessMarkdown())
            let article = try await articles.create(Self.content("Gas fees", "矿工费"), slug: nil, publish: true, editor: Self.editor, source: .system)
            let results = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        (try? await articles.save(
                            article.id, content: Self.content("Gas fees \(index)", "矿工费 \(index)"), expectedVersion: 1, editor: Self.editor, source: .system)) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await articles.article(article.id).1.count == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func onlyEditorsWriteAndBadInputIsRefused(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let articles = HelpArticles(store: store, renderer: InProcessMarkdown())
            await #expect(throws: HelpError.notEditor) {
                try await articles.create(Self.content("A", "甲"), slug: nil, publish: false, editor: Self.agent, source: .system)
            }
            var trusted = Self.agent
            trusted.helpEditor = true
            _ = try await articles.create(Self.content("Allowed", "可以"), slug: nil, publish: false, editor: trusted, source: .system)

            let oneLanguage = ArticleContent(categoryId: nil, translations: [.en: ArticleTranslation(title: "Only English", body: "x")])
            await #expect(throws: HelpError.self) { try await articles.create(oneLanguage, slug: nil, publish: false, editor: Self.editor, source: .system) }
            await #expect(throws: HelpError.self) {
                try await articles.create(Self.content("Bad category", "分类", category: "nope"), slug: nil, publish: false, editor: Self.editor, source: .system)
            }
            await #expect(throws: HelpError.self) {
                try await articles.create(Self.content("Bad slug", "地址"), slug: "Not A Slug", publish: false, editor: Self.editor, source: .system)
            }
            let huge = Self.content(String(repeating: "t", count: 201), "标题")
            await #expect(throws: HelpError.self) { try await articles.create(huge, slug: nil, publish: false, editor: Self.editor, source: .system) }

            // Generated slugs never collide; a requested one that is taken is a conflict.
            let first = try await articles.create(Self.content("Same title", "同名"), slug: nil, publish: false, editor: Self.editor, source: .system)
            let second = try await articles.create(Self.content("Same title", "同名"), slug: nil, publish: false, editor: Self.editor, source: .system)
            #expect(first.slug == "same-title" && second.slug == "same-title-2")
            await #expect(throws: HelpError.conflict("slug")) {
                try await articles.create(Self.content("Other", "其他"), slug: "same-title", publish: false, editor: Self.editor, source: .system)
            }
            // A Chinese-only title still gets an address.
            let chinese = try await articles.create(Self.content("", "只有中文").withEnglishTitle("中文标题"), slug: nil, publish: false, editor: Self.editor, source: .system)
            #expect(chinese.slug.hasPrefix("article-"))
        }
    }

    @Test(arguments: TestBackend.available)
    func votesAreOnePerReaderAndRecountedUnderParallelVotes(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let articles = HelpArticles(store: store, renderer: InProcessMarkdown())
            let article = try await articles.create(Self.content("Deposit address", "充值地址"), slug: nil, publish: true, editor: Self.editor, source: .system)
            await withTaskGroup(of: Void.self) { group in
                for reader in 0..<20 {
                    group.addTask {
                        _ = try? await articles.vote(slug: article.slug, locale: .en, helpful: reader % 4 != 0, comment: nil, voter: "reader-\(reader % 10)")
                    }
                }
            }
            let counts = try await articles.vote(slug: article.slug, locale: .zhCN, helpful: false, comment: "  不清楚  ", voter: "reader-0")
            #expect(counts.yes + counts.no == 10)
            let votes = try await articles.votes(articleId: article.id)
            #expect(votes.count == 10)
            #expect(votes.first { $0.comment != nil }?.comment == "不清楚")
            await #expect(throws: HelpError.self) {
                try await articles.vote(slug: article.slug, locale: .en, helpful: true, comment: String(repeating: "x", count: 1_001), voter: "r")
            }
            await #expect(throws: HelpError.notFound("article")) { try await articles.vote(slug: "missing", locale: .en, helpful: true, comment: nil, voter: "r") }
        }
    }
}

extension ArticleContent {
    func withEnglishTitle(_ title: String) -> ArticleContent {
        var copy = self
        copy.translations[.en]?.title = title
        return copy
    }
}
