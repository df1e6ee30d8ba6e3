import ArgumentParser
import Foundation
import KefuHelp

/// `kefu render-markdown`: what `kefu serve` runs in a child process to render Markdown, so that
/// input the library cannot handle ends this process, not the server. Reads a JSON array of
/// bodies on standard input (at most 1 MB) and writes the rendered bodies as JSON.
struct RenderMarkdown: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-markdown", abstract: "Render Markdown bodies (JSON in, JSON out); used by kefu serve.", shouldDisplay: false)

    static let maxInput = 1 << 20

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard input.count <= Self.maxInput else { throw ExitCode(2) }
        let bodies = try JSONDecoder().decode([String].self, from: input)
        let rendered = bodies.map(ArticleMarkdown.render)
        try FileHandle.standardOutput.write(contentsOf: try JSONEncoder().encode(rendered))
    }
}
