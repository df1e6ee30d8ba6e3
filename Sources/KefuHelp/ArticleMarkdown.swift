import Foundation
import Ink
import KefuCore

/// Markdown → HTML with Ink, then through an allow-list: raw HTML shows as text, links go to
/// http(s), mailto or this site only, and nothing an author writes can run in a reader's page.
public enum ArticleMarkdown {
    /// In this process: only for text Kefu trusts (its own starter articles, tests). Ink can
    /// crash or stall on hostile input, so the server renders what people write through
    /// `IsolatedMarkdown`, in a child process with a time limit.
    public static func render(_ markdown: String) -> RenderedMarkdown {
        // Raw HTML blocks and inline tags become visible text before the allow-list sees them.
        let parser = MarkdownParser(modifiers: [Modifier(target: .html) { input in HTMLEscaping.escape(String(input.markdown)) }])
        let nodes = HTMLAllowList.clean(parser.html(from: defused(markdown)))
        return decorate(nodes)
    }

    /// Input shapes Ink 0.6 is known to trip on, made harmless before it reads them: a line of
    /// only whitespace after a list item (an index out of bounds), runs of brackets (exponential
    /// backtracking, then a stack overflow). Brackets beyond a few per line become
    /// character references, which the allow-list shows as brackets again.
    static func defused(_ markdown: String) -> String {
        markdown.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var line = String(line)
            // Any trailing whitespace (Ink takes U+3000 and U+00A0 for spaces too).
            while let last = line.last, last.isWhitespace { line.removeLast() }
            // Runs of brackets ("[[", "![[") mean nothing in Markdown but make Ink backtrack.
            if line.contains("[[") || line.contains("]]") || line.contains("![![") {
                line = line.replacingOccurrences(of: "[", with: "&#91;").replacingOccurrences(of: "]", with: "&#93;")
            }
            for (character, reference) in [("[", "&#91;"), ("]", "&#93;"), ("(", "&#40;"), (")", "&#41;")]
            where line.count(where: { String($0) == character }) > 8 {
                line = line.replacingOccurrences(of: character, with: reference)
            }
            return line
        }.joined(separator: "\n")
    }

    /// Gives `h2`/`h3` stable ids for the table of contents and gathers the plain text.
    static func decorate(_ nodes: [HTMLAllowList.Node]) -> RenderedMarkdown {
        var out: [HTMLAllowList.Node] = []
        var headings: [RenderedMarkdown.Heading] = []
        var plain = ""
        var usedIds: Set<String> = []
        var index = 0
        while index < nodes.count {
            let node = nodes[index]
            if case .open(let name, _) = node, name == "h2" || name == "h3" {
                // The heading's text is everything up to its closer.
                var text = ""
                var end = index + 1
                while end < nodes.count, nodes[end] != .close(name) {
                    if case .text(let piece) = nodes[end] { text += piece }
                    end += 1
                }
                let title = text.trimmingCharacters(in: .whitespacesAndNewlines)
                let id = uniqueId(for: title, position: headings.count + 1, used: &usedIds)
                headings.append(.init(level: name == "h2" ? 2 : 3, id: id, text: title))
                out.append(.open(name, [("id", id)]))
                index += 1
                continue
            }
            switch node {
            case .text(let text): plain += text
            case .open(let name, _), .close(let name):
                if blockBreaks.contains(name) { plain += "\n" }
            }
            out.append(node)
            index += 1
        }
        let text = plain.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "\n")
        return RenderedMarkdown(html: HTMLAllowList.serialize(out), headings: headings, plainText: text)
    }

    static let blockBreaks: Set<String> = ["p", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "tr", "td", "th", "hr"]

    /// "How limits work" → "how-limits-work"; a heading without Latin letters gets "section-N".
    static func uniqueId(for title: String, position: Int, used: inout Set<String>) -> String {
        let words = title.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.prefix(8)
        var id = words.isEmpty ? "section-\(position)" : words.joined(separator: "-")
        if used.contains(id) { id += "-\(position)" }
        used.insert(id)
        return id
    }
}
