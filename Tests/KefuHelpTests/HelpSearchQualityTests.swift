import Foundation
import KefuApp
import KefuCore
import KefuHelp
import KefuStore
import KefuTestSupport
import Testing

/// What people type, and the article each must find first, over the starter set on both
/// databases: Chinese without spaces from one character up, traditional characters, English
/// stems and typos, mixed queries.
@Suite struct HelpSearchQualityTests {
    static let editor = Agent(id: .generate(), email: "editor@kefu.example", name: "Editor", role: .supervisor, createdAt: Date())

    /// (query, locale, the slug that must come first, the correction shown if any)
    static let cases: [(String, HelpLocale, String, String?)] = [
        ("提币", .zhCN, "limit-exceeded", nil),
        ("限额", .zhCN, "limit-exceeded", nil),
        ("忘记密码", .zhCN, "reset-password", nil),
        ("双重验证", .zhCN, "set-up-2fa", nil),
        ("谷歌验证器丢了", .zhCN, "lost-authenticator-2fa-reset", nil),
        ("忘記密碼", .zhCN, "reset-password", nil),
        ("提幣限額", .zhCN, "limit-exceeded", nil),
        ("防钓鱼码", .zhCN, "anti-phishing-code", nil),
        ("冒充客服", .zhCN, "fake-support-accounts", nil),
        ("恢复码", .zhCN, "recovery-codes", nil),
        ("2FA 重置", .zhCN, "lost-authenticator-2fa-reset", nil),
        ("forgot password", .en, "reset-password", nil),
        ("withdrawal limits", .en, "limits-by-tier", nil),
        ("lost authenticator", .en, "lost-authenticator-2fa-reset", nil),
        ("authenticater", .en, "lost-authenticator-2fa-reset", "authenticator"),
        ("anti-phishing code", .en, "anti-phishing-code", nil),
        ("fake support", .en, "fake-support-accounts", nil),
        ("recovery codes", .en, "recovery-codes", nil),
        ("withdrawal on hold", .en, "hold-review", nil),
        ("why is my withdrawal on hold", .en, "withdrawal-on-hold", nil),
        ("withdrawls", .en, "hold-review", "withdrawals"),
        ("limits by verification tier", .en, "limits-by-tier", nil),
        ("2fa", .en, "lost-authenticator-2fa-reset", nil),
        ("提", .zhCN, "limit-exceeded", nil),
        ("telegram", .en, "telegram-support", nil),
        ("regional availability", .en, "regional-availability", nil),
    ]

    @Test(arguments: TestBackend.available)
    func findsWhatPeopleType(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let articles = HelpArticles(store: store, renderer: InProcessMarkdown())
            #expect(try await HelpStarter.load().seed(into: articles, editor: Self.editor))
            let search = HelpSearch(store: store)
            var failures: [String] = []
            for (query, locale, slug, correction) in Self.cases {
                let result = try await search.search(query, locale: locale)
                if result.items.first?.slug != slug || result.didYouMean != correction {
                    failures.append("\(query): \(result.items.prefix(3).map(\.slug)) didYouMean \(result.didYouMean ?? "-")")
                }
            }
            #expect(failures.isEmpty, "\(backend): \(failures.joined(separator: "; "))")
        }
    }

    @Test(arguments: TestBackend.available)
    func didYouMeanKeepsPunctuationAndIsOnlyShownForARealCorrection(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let articles = HelpArticles(store: store, renderer: InProcessMarkdown())
            let starter = try HelpStarter.load()
            #expect(try await starter.seed(into: articles, editor: Self.editor))
            let search = HelpSearch(store: store)
            #expect(try await search.search("Lost my authenticater?", locale: .en).didYouMean == "lost my authenticator?")
            // A correction is never the query echoed back.
            #expect(try await search.search("NEAR(a b)", locale: .en).didYouMean != "near(a b)")
            #expect(try await search.search("authenticator", locale: .en).didYouMean == nil)
        }
    }
}
