import Foundation
import KefuCore
import KefuHelp
import Testing

/// Markdown from people is rendered in a child process: a renderer that crashes or stalls on
/// some input fails that one render, never the server, and a burst of renders waits its turn.
@Suite struct IsolatedMarkdownTests {
    /// The `kefu` this checkout built (scripts/test builds it before the tests run).
    static let kefu = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/kefu").standardized

    /// A stand-in renderer that behaves badly in the given way.
    static func script(_ body: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-render-\(UUID().uuidString).sh")
        try "#!/bin/sh\n\(body)\n".write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    @Test func rendersThroughTheRealExecutable() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.kefu.path), "build kefu first: \(Self.kefu.path)")
        let renderer = IsolatedMarkdown(executable: Self.kefu)
        let rendered = try await renderer.render(["## 步骤\n\n1. Open **Account**", "<script>alert(1)</script> [x](javascript:alert(1))"])
        #expect(rendered[0].headings.map(\.text) == ["步骤"])
        #expect(rendered[0].html.contains("<strong>Account</strong>"))
        #expect(!rendered[1].html.contains("<script"))
        #expect(!rendered[1].html.contains("javascript:"))
    }

    @Test func aRendererThatCrashesFailsOnlyThatRender() async throws {
        let renderer = IsolatedMarkdown(executable: try Self.script("kill -SEGV $$"))
        await #expect(throws: HelpError.invalid(ValidationFailure("body", .rule("unrenderable")))) { try await renderer.render(["x"]) }
    }

    @Test func aRendererThatStallsIsStoppedAtTheTimeLimit() async throws {
        let renderer = IsolatedMarkdown(executable: try Self.script("exec sleep 30"), timeLimit: 0.5)
        let started = Date()
        // Out of time once is the machine's fault (try again); twice, the text's.
        await #expect(throws: HelpError.rendererBusy) { try await renderer.render(["x"]) }
        await #expect(throws: HelpError.invalid(ValidationFailure("body", .rule("unrenderable")))) { try await renderer.render(["x"]) }
        await #expect(throws: HelpError.invalid(ValidationFailure("body", .rule("unrenderable")))) { try await renderer.render(["x"]) }
        // Each stalled render would take the script's 30 seconds; three stopped at the limit take
        // far less, even on a loaded machine.
        #expect(Date().timeIntervalSince(started) < 25)
    }

    @Test func garbageOutputIsRefused() async throws {
        let renderer = IsolatedMarkdown(executable: try Self.script("cat /dev/null; echo '{not json'"))
        await #expect(throws: HelpError.self) { try await renderer.render(["x"]) }
    }

    /// Inputs that crashed or stalled Ink in an outside test, and random ones from the same
    /// alphabet: each renders or is refused, and this process lives on.
    @Test func hostileInputNeverTakesTheCallerDown() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.kefu.path))
        let renderer = IsolatedMarkdown(executable: Self.kefu, timeLimit: 3)
        var inputs = ["- \n ", String(repeating: "[", count: 40), String(repeating: "![", count: 30), String(repeating: "[", count: 5_000), "* \n\t\n- "]
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["-", " ", "\n", "[", "]", "(", ")", "!", "*", "#", "`", ">", "a", "1", ".", "\t", "|"]
        for _ in 0..<120 {
            inputs.append(String((0..<Int.random(in: 1...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        var refused = 0
        for input in inputs {
            do {
                let rendered = try await renderer.render([input])
                #expect(!rendered[0].html.contains("<script"))
            } catch is HelpError {
                refused += 1
            }
        }
        // Defusing makes the known cases render; only unknown crashes may be refused.
        #expect(refused < inputs.count / 4, "\(refused) of \(inputs.count) refused")
    }

    /// A crash reporter (or any grandchild) that keeps the output pipe open must not keep the
    /// caller waiting: the child's whole process group is killed at the limit.
    @Test func aGrandchildHoldingTheOutputIsKilledWithTheChild() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-grandchild-\(UUID().uuidString)")
        let renderer = IsolatedMarkdown(executable: try Self.script("(sleep 30; touch \(marker.path)) &\nkill -SEGV $$"), timeLimit: 1)
        let started = Date()
        await #expect(throws: HelpError.self) { try await renderer.render(["x"]) }
        // Well under the grandchild's 30 seconds (a held pipe would wait them out), with room
        // for a loaded machine to be slow at spawning.
        #expect(Date().timeIntervalSince(started) < 20)
        // The sleeping grandchild went with the group: it never gets to write its marker.
        try await Task.sleep(for: .seconds(1))
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    /// A body that failed is remembered: a page showing it does not start a child on every view.
    @Test func aFailedRenderIsNotTriedAgain() async throws {
        let count = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-count-\(UUID().uuidString)")
        let renderer = IsolatedMarkdown(executable: try Self.script("echo run >> \(count.path)\nexit 1"))
        for _ in 0..<3 { await #expect(throws: HelpError.self) { try await renderer.render(["same body"]) } }
        #expect(try String(contentsOf: count, encoding: .utf8).split(separator: "\n").count == 1)
    }

    /// Shapes that crashed or stalled Ink in the second outside attack now render.
    @Test func whitespaceLinesAndBracketRunsRender() async throws {
        let renderer = IsolatedMarkdown(executable: Self.kefu)
        let bodies = [
            "- a\n\u{3000}", "- a\n\u{00A0}", "* a\n\u{2003}", "1. a\n\u{3000}", "今晚维护：\n\n- 提币暂停 30 分钟\n\u{3000}",
            String(repeating: "[[[[[[[[ x\n", count: 2_000), String(repeating: "[[[[[[[[\n", count: 5),
        ]
        let rendered = try await renderer.render(bodies)
        #expect(rendered.count == bodies.count)
        #expect(rendered[4].html.contains("提币暂停"))
    }
}
