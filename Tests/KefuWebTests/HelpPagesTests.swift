import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KefuCore
import KefuHelp
import KefuStore
import Testing

/// The help center's pages through the router: what a reader types comes back escaped even
/// when a combining mark or a prepended sign is fused to `<`, `>` or `"` (swift-mustache's own
/// escaping goes by Character and let those through); a search's `+` is a space.
@Suite struct HelpPagesTests {
    /// `x">` then `<img …>`, each special fused into one grapheme with its neighbour.
    static let fused = "x\"\u{301}>\u{301}\u{600}<img src=x onerror=alert(1)>\u{301}"

    static func percent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    @Test func fusedMarkupInAQueryIsEscapedOnEveryPage() async throws {
        try await TestApp.run { client, _ in
            for path in ["/help/en/search?q=", "/help/zh-CN/verify?value=", "/help/en/verify?value="] {
                let response = try await client.execute(uri: path + Self.percent(Self.fused), method: .get)
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(!html.contains("<img"), "\(path)")
                #expect(html.contains("&lt;img"), "\(path)")
            }
        }
    }

    @Test func fusedMarkupIsEscapedInTheConsoleToo() async throws {
        try await TestApp.run { client, app in
            // A reader's vote comment and a search that found nothing, both shown to editors.
            let articles = HelpArticles(store: app.store, renderer: InProcessMarkdown())
            let admin = try #require(try await app.store.credentials(email: TestApp.adminEmail)?.0)
            let content = ArticleContent(
                categoryId: nil,
                translations: [.en: ArticleTranslation(title: "Fees", body: "Network fees."), .zhCN: ArticleTranslation(title: "手续费", body: "网络手续费。")])
            let article = try await articles.create(content, slug: nil, publish: true, editor: admin, source: .system)
            _ = try await articles.vote(slug: article.slug, locale: .en, helpful: false, comment: Self.fused, voter: "reader")
            _ = try await client.execute(uri: "/help/en/search?q=" + Self.percent("zz" + Self.fused), method: .get)
            let token = try await client.login()
            let page = try await client.execute(uri: "/console/help", method: .get, headers: [.authorization: "Bearer \(token)"])
            let html = String(buffer: page.body)
            #expect(page.status == .ok, "\(html.prefix(300))")
            #expect(!html.contains("<img"))
            #expect(html.contains("&lt;img"))
        }
    }

    @Test func aNulInASearchIsKeptOutOfTheDatabase() async throws {
        try await TestApp.run { client, _ in
            let response = try await client.execute(uri: "/api/v1/help/search?q=zz%00zz", method: .get)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
        }
    }

    @Test func aPlusInAFormQueryIsASpace() async throws {
        try await TestApp.run { client, _ in
            let response = try await client.execute(uri: "/help/en/search?q=reset+password", method: .get)
            let html = String(buffer: response.body)
            #expect(html.contains("reset password"))
            #expect(!html.contains("reset+password"))
            // An encoded plus stays a plus (a phone number on the verify page).
            let verify = try await client.execute(uri: "/help/en/verify?value=%2B86+400+820+8820", method: .get)
            #expect(String(buffer: verify.body).contains("value=\"+86 400 820 8820\""))
            let api = try await client.execute(uri: "/api/v1/help/verify?value=%2B86+400+820+8820", method: .get)
            #expect(String(buffer: api.body).contains(#""value":"+86 400 820 8820""#))
        }
    }
}
