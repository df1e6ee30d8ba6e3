import Foundation
import KefuCore

/// Renders article and announcement bodies. The server's is `IsolatedMarkdown`: the Markdown
/// library runs in a child process, so no input can crash or stall the server.
public protocol MarkdownRendering: Sendable {
    /// Each body rendered, in order; `HelpError.invalid` when one cannot be (too slow, or the
    /// renderer died on it).
    func render(_ bodies: [String]) async throws -> [RenderedMarkdown]
}

/// In this process, for trusted text only (tests, the benchmark's corpus).
public struct InProcessMarkdown: MarkdownRendering {
    public init() {}

    public func render(_ bodies: [String]) async throws -> [RenderedMarkdown] { bodies.map(ArticleMarkdown.render) }
}

/// `kefu render-markdown` in a child process: JSON strings in on standard input, the rendered
/// bodies out as JSON. A child that crashes, or takes longer than `timeLimit`, fails that render
/// only. Two at a time at most, and the last few hundred results are remembered (announcements
/// are rendered on every help-center home page).
public struct IsolatedMarkdown: MarkdownRendering {
    let executable: URL
    let timeLimit: TimeInterval
    let state: RenderState

    public init(executable: URL, timeLimit: TimeInterval = 5) {
        _ = Self.ignoreBrokenPipes
        self.executable = executable
        self.timeLimit = timeLimit
        state = RenderState(slots: 2, remember: 512)
    }

    public func render(_ bodies: [String]) async throws -> [RenderedMarkdown] {
        if let known = await state.remembered(bodies) { return known }
        let input = try JSONEncoder().encode(bodies)
        await state.acquire()
        let output: Data
        do {
            output = try await Self.run(executable, input: input, timeLimit: timeLimit)
        } catch {
            await state.release()
            throw error
        }
        await state.release()
        guard let rendered = try? JSONDecoder().decode([RenderedMarkdown].self, from: output), rendered.count == bodies.count else {
            throw HelpError.invalid(ValidationFailure("body", .rule("unrenderable")))
        }
        await state.remember(bodies, rendered)
        return rendered
    }

    /// A child that dies before reading its input would otherwise end this process with
    /// SIGPIPE when the input is written: the write fails with EPIPE instead.
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Runs the child on a thread of its own (the calls block), killing it at the time limit.
    static func run(_ executable: URL, input: Data, timeLimit: TimeInterval) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = executable
                process.arguments = ["render-markdown"]
                process.environment = ["LANG": "C.UTF-8"]
                let stdin = Pipe()
                let stdout = Pipe()
                process.standardInput = stdin
                process.standardOutput = stdout
                process.standardError = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: HelpError.invalid(ValidationFailure("body", .rule("unrenderable"))))
                    return
                }
                let killer = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
                DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: killer)
                // The input is written while the output is read, so neither pipe fills up.
                DispatchQueue.global().async {
                    try? stdin.fileHandleForWriting.write(contentsOf: input)
                    try? stdin.fileHandleForWriting.close()
                }
                let output = stdout.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                killer.cancel()
                if process.terminationReason == .exit && process.terminationStatus == 0 {
                    continuation.resume(returning: output)
                } else {
                    continuation.resume(throwing: HelpError.invalid(ValidationFailure("body", .rule("unrenderable"))))
                }
            }
        }
    }
}

/// The renderer's limits and memory: how many children run at once, and recent results.
actor RenderState {
    private let slots: Int
    private var busy = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private let capacity: Int
    private var results: [[String]: [RenderedMarkdown]] = [:]
    private var order: [[String]] = []

    init(slots: Int, remember capacity: Int) {
        self.slots = slots
        self.capacity = capacity
    }

    func acquire() async {
        if busy < slots {
            busy += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            busy -= 1
        } else {
            // The slot passes straight to the next caller.
            waiting.removeFirst().resume()
        }
    }

    func remembered(_ bodies: [String]) -> [RenderedMarkdown]? { results[bodies] }

    func remember(_ bodies: [String], _ rendered: [RenderedMarkdown]) {
        // Short texts only (announcements, previews of small edits): memory stays small.
        guard results[bodies] == nil, bodies.reduce(0, { $0 + $1.utf8.count }) < 16_384 else { return }
        results[bodies] = rendered
        order.append(bodies)
        if order.count > capacity { results[order.removeFirst()] = nil }
    }
}
