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
                switch ChildProcess.run(executable.path, arguments: ["render-markdown"], input: input, timeLimit: timeLimit) {
                case .some(let output): continuation.resume(returning: output)
                case .none: continuation.resume(throwing: HelpError.invalid(ValidationFailure("body", .rule("unrenderable"))))
                }
            }
        }
    }
}

/// One child process by `posix_spawn` (Foundation's `Process.run` is not safe alongside other
/// spawns on Linux: a crash in its argument copying was seen), fed `input` on standard input;
/// its standard output, or nil when it failed, died or ran past `timeLimit` (then it is killed).
enum ChildProcess {
    static func run(_ path: String, arguments: [String], input: Data, timeLimit: TimeInterval) -> Data? {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0 else { return nil }
        guard pipe(&fromChild) == 0 else {
            close(toChild[0])
            close(toChild[1])
            return nil
        }
        // Close-on-exec: another child started meanwhile does not keep these pipes open (the
        // dup2 onto our child's 0 and 1 clears it there).
        for descriptor in toChild + fromChild { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        for descriptor in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, descriptor) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("LANG=C.UTF-8"), nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard spawned == 0 else {
            close(toChild[1])
            close(fromChild[0])
            return nil
        }
        let child = pid
        let inputEnd = toChild[1]
        let killer = DispatchWorkItem { kill(child, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: killer)
        // The input is written while the output is read, so neither pipe fills up.
        let writer = DispatchGroup()
        DispatchQueue.global().async(group: writer) {
            input.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    guard let base = buffer.baseAddress else { break }
                    let written = write(inputEnd, base.advanced(by: offset), buffer.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { break }  // EPIPE: the child is gone
                    offset += written
                }
            }
            close(inputEnd)
        }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fromChild[0], &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output.append(contentsOf: chunk[0..<count])
            if output.count > 16 << 20 { kill(pid, SIGKILL) }
        }
        close(fromChild[0])
        writer.wait()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        killer.cancel()
        // Exited normally (no signal) with status 0.
        let exited = status & 0x7f == 0
        return exited && (status >> 8) & 0xff == 0 ? output : nil
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
