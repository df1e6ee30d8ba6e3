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
        Self.detachFromTheServer()
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard input.count <= Self.maxInput else { throw ExitCode(2) }
        let bodies = try JSONDecoder().decode([String].self, from: input)
        let rendered = bodies.map(ArticleMarkdown.render)
        try FileHandle.standardOutput.write(contentsOf: try JSONEncoder().encode(rendered))
    }

    /// A render never outlives its purpose: descriptors inherited from the server (its listening
    /// socket among them) are closed at once; the process ends itself after 10 seconds whatever
    /// the library is doing, and as soon as the server that started it is gone.
    static func detachFromTheServer() {
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap(Int32.init) ?? Array(3..<1024)
        for descriptor in open where descriptor > 2 { close(descriptor) }
        alarm(10)
        let server = getppid()
        Thread.detachNewThread {
            while getppid() == server { usleep(200_000) }
            _exit(3)
        }
    }
}
