import Foundation
import KefuHelp
import Testing

/// Articles are written by agents but read by every customer: whatever an author (or a
/// stolen editor account) writes, the page it renders into runs nothing.
@Suite struct ArticleMarkdownTests {
    static let allowedTags: Set<String> = [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img",
    ]

    /// Every tag in the output is an allowed one, carries no event handler or style, and links
    /// only to http(s), mailto or this site; everything else is escaped text.
    static func assertInert(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for tag in html.matches(of: /<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/) {
            let name = tag.output.1.lowercased()
            let attributes = String(tag.output.2).lowercased()
            #expect(allowedTags.contains(name), "tag \(name) in \(html)", sourceLocation: sourceLocation)
            #expect(attributes.range(of: #"(^|\s)on[a-z]+\s*="#, options: .regularExpression) == nil, "handler in \(html)", sourceLocation: sourceLocation)
            #expect(!attributes.contains("style"), "style in \(html)", sourceLocation: sourceLocation)
            for value in attributes.matches(of: /(?:href|src)="([^"]*)"/) {
                let target = String(value.output.1)
                let safe = ["http://", "https://", "mailto:", "/", "#"].contains { target.hasPrefix($0) }
                #expect(safe, "target \(target) in \(html)", sourceLocation: sourceLocation)
            }
        }
        #expect(!html.contains("<!--"), sourceLocation: sourceLocation)
    }

    @Test func rendersTheMarkdownAuthorsUse() {
        let rendered = ArticleMarkdown.render(
            """
            Intro with **bold**, *emphasis* and `code`.

            ## Step one

            1. Open [your account](/account).
            2. Read [the docs](https://example.com/a?b=1&c=2).

            ### Details

            - a
            - b

            > Never share your recovery phrase.
            """)
        #expect(rendered.html.contains("<strong>bold</strong>"))
        #expect(rendered.html.contains("<em>emphasis</em>"))
        #expect(rendered.html.contains("<code>code</code>"))
        #expect(rendered.html.contains(#"<h2 id="step-one">Step one</h2>"#))
        #expect(rendered.html.contains(#"<h3 id="details">Details</h3>"#))
        #expect(rendered.html.contains(#"<a href="/account">your account</a>"#))
        #expect(rendered.html.contains(#"<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">the docs</a>"#))
        #expect(rendered.html.contains("<blockquote>"))
        #expect(rendered.headings.map(\.text) == ["Step one", "Details"])
        #expect(rendered.headings.map(\.level) == [2, 3])
        #expect(rendered.plainText.contains("Never share your recovery phrase."))
        #expect(!rendered.plainText.contains("<"))
    }

    @Test func chineseHeadingsGetIdsForTheTableOfContents() {
        let rendered = ArticleMarkdown.render("## 第一步\n\n文字\n\n## 第二步\n\n## Step 2\n\n## Step 2")
        #expect(rendered.headings.map(\.id) == ["section-1", "section-2", "step-2", "step-2-4"])
        #expect(rendered.html.contains(#"<h2 id="section-1">第一步</h2>"#))
    }

    @Test(arguments: [
        "<script>alert(1)</script>",
        "Hello <script>alert(1)</script> world",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](javascript&#58;alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](http://a\" onmouseover=\"alert(1))",
        "[x](https://example.com\" style=\"position:fixed)",
        "![x](javascript:alert(1))",
        "![x\" onerror=\"alert(1)](https://example.com/a.png)",
        "![x](https://example.com/a.png\" onerror=\"alert(1))",
        "<div onclick=\"alert(1)\">text</div>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
        "<form action=https://evil.example><input name=p></form>",
        "<p style=\"background:url(javascript:alert(1))\">x</p>",
        "`<script>alert(1)</script>`",
        "```\n<script>alert(1)</script>\n```",
        "# <img src=x onerror=alert(1)>",
        "- <a href=javascript:alert(1)>x</a>",
        "> <script>alert(1)</script>",
        "<scr<script>ipt>alert(1)</script>",
        "<<script>script>alert(1)<</script>/script>",
        "[x](<javascript:alert(1)>)",
        "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
        "<!-- <script>alert(1)</script> -->",
    ])
    func hostileMarkdownRendersInert(_ markdown: String) {
        let rendered = ArticleMarkdown.render(markdown)
        Self.assertInert(rendered.html)
    }

    @Test func rawHTMLIsShownAsText() {
        let rendered = ArticleMarkdown.render("Before <b onclick=\"x()\">bold</b> after\n\n<div>block</div>")
        #expect(!rendered.html.contains("<b "))
        #expect(!rendered.html.contains("<div"))
        #expect(rendered.html.contains("&lt;div&gt;block&lt;/div&gt;") || rendered.html.contains("&lt;div&gt;"))
        Self.assertInert(rendered.html)
    }

    @Test func linksKeepOnlySafeTargets() {
        #expect(ArticleMarkdown.render("[m](mailto:support@example.com)").html.contains(#"href="mailto:support@example.com""#))
        #expect(ArticleMarkdown.render("[s](#section-1)").html.contains(##"href="#section-1""##))
        let unsafe = ArticleMarkdown.render("[x](javascript:alert(1))").html
        #expect(unsafe.contains("<a>x</a>"))
        // Images only from this site or over https.
        #expect(!ArticleMarkdown.render("![p](http://tracker.example/p.gif)").html.contains("<img"))
        #expect(ArticleMarkdown.render("![p](https://cdn.example/p.png)").html.contains(#"<img src="https://cdn.example/p.png" alt="p">"#))
    }

    @Test func unbalancedMarkupIsClosed() {
        let html = ArticleMarkdown.render("**bold without end\n\n</p></div></body>text").html
        #expect(!html.contains("</div>"))
        #expect(!html.contains("</body>"))
        var depth = 0
        for match in html.matches(of: /<(\/?)(p|strong|em|ul|ol|li|blockquote|h[1-6])[ >]/) {
            depth += match.output.1.isEmpty ? 1 : -1
            #expect(depth >= 0)
        }
        #expect(depth == 0)
    }
}
