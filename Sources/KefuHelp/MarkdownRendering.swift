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
        switch await state.remembered(bodies) {
        case .some(.some(let known)): return known
        case .some(.none): throw HelpError.invalid(ValidationFailure("body", .rule("unrenderable")))
        case .none: break
        }
        let input = try JSONEncoder().encode(bodies)
        // A full queue refuses at once rather than piling up requests behind slow renders.
        guard await state.acquire() else { throw HelpError.rendererBusy }
        let outcome = await Self.run(executable, input: input, timeLimit: timeLimit)
        await state.release()
        let output: Data
        switch outcome {
        case .output(let data): output = data
        case .notStarted:
            throw HelpError.rendererBusy
        case .timedOut:
            // A busy machine is not the text's fault: "try again", unless it ran out of time twice.
            guard await state.timedOut(bodies) else { throw HelpError.rendererBusy }
            throw HelpError.invalid(ValidationFailure("body", .rule("unrenderable")))
        case .failed:
            await state.remember(bodies, nil)
            throw HelpError.invalid(ValidationFailure("body", .rule("unrenderable")))
        }
        guard let rendered = try? JSONDecoder().decode([RenderedMarkdown].self, from: output), rendered.count == bodies.count else {
            // Remembered too: a body that failed is not tried again on every page view.
            await state.remember(bodies, nil)
            throw HelpError.invalid(ValidationFailure("body", .rule("unrenderable")))
        }
        await state.remember(bodies, rendered)
        return rendered
    }

    /// A child that dies before reading its input would otherwise end this process with
    /// SIGPIPE when the input is written: the write fails with EPIPE instead.
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Runs the child on a thread of its own (the calls block), killing it at the time limit.
    static func run(_ executable: URL, input: Data, timeLimit: TimeInterval) async -> ChildProcess.Outcome {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: ChildProcess.run(executable.path, arguments: ["render-markdown"], input: input, timeLimit: timeLimit))
            }
        }
    }
}

/// One child process by `posix_spawn` (Foundation's `Process.run` is not safe alongside other
/// spawns on Linux: a crash in its argument copying was seen), fed `input` on standard input;
/// its standard output, or why not: it failed or died, or it ran past `timeLimit`. The child runs in
/// a process group of its own, and the whole group is killed at the limit: a crash reporter or
/// any other grandchild holding the output pipe cannot keep this waiting. (The child also closes
/// every other descriptor it inherited and ends itself if this process dies: `RenderMarkdown`.)
enum ChildProcess {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does
    /// not declare; looked up once (nil on an older C library: the child closes them itself).
    static let closeFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    enum Outcome: Sendable {
        case output(Data)
        case failed
        case timedOut
        /// The child could not be started (no pipes, processes or memory; the file busy): the
        /// machine's trouble, not the text's.
        case notStarted
    }

    static func run(_ path: String, arguments: [String], input: Data, timeLimit: TimeInterval) -> Outcome {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0 else { return .notStarted }
        guard pipe(&fromChild) == 0 else {
            close(toChild[0])
            close(toChild[1])
            return .notStarted
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
        // Nothing else this process has open goes with the child: a file another thread is
        // writing (a script about to run) would otherwise stay open in it and be "busy".
        Self.closeFrom?(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        // No crash reporter: it takes seconds and outlives a killed child.
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("LANG=C.UTF-8"), strdup("SWIFT_BACKTRACE=enable=no"), nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard spawned == 0 else {
            close(toChild[1])
            close(fromChild[0])
            return .notStarted
        }
        let group = pid
        let inputEnd = toChild[1]
        // The input is written while the output is read, so neither pipe fills up.
        DispatchQueue.global().async {
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
        let deadline = Date().addingTimeInterval(timeLimit)
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var finished = false
        var outOfTime = false
        while !finished {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { outOfTime = true; break }
            guard output.count <= 16 << 20 else { break }
            var poller = pollfd(fd: fromChild[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, 1) * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { break }
            if ready == 0 { continue }
            let count = read(fromChild[0], &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count > 0 { output.append(contentsOf: chunk[0..<count]) } else { finished = true }
        }
        close(fromChild[0])
        // Past the limit (or done): the whole group goes; then the child is reaped.
        kill(-group, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited normally (no signal) with status 0, and said everything before the limit.
        let exited = status & 0x7f == 0
        if outOfTime { return .timedOut }
        return finished && exited && (status >> 8) & 0xff == 0 ? .output(output) : .failed
    }
}

/// The renderer's limits and memory: how many children run at once, and recent results.
actor RenderState {
    private let slots: Int
    private var busy = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private let capacity: Int
    private var results: [[String]: [RenderedMarkdown]?] = [:]
    /// Callers waiting beyond this are refused.
    private let queueLimit = 16
    private var order: [[String]] = []

    init(slots: Int, remember capacity: Int) {
        self.slots = slots
        self.capacity = capacity
    }

    /// False when too many are waiting already.
    func acquire() async -> Bool {
        if busy < slots {
            busy += 1
            return true
        }
        guard waiting.count < queueLimit else { return false }
        await withCheckedContinuation { waiting.append($0) }
        return true
    }

    func release() {
        if waiting.isEmpty {
            busy -= 1
        } else {
            // The slot passes straight to the next caller.
            waiting.removeFirst().resume()
        }
    }

    private var timeouts: [[String]: Int] = [:]

    /// Counts a render that ran out of time; true (and remembered as failed) the second time.
    func timedOut(_ bodies: [String]) -> Bool {
        if timeouts.count > capacity { timeouts.removeAll() }
        timeouts[bodies, default: 0] += 1
        guard timeouts[bodies, default: 0] >= 2 else { return false }
        timeouts[bodies] = nil
        remember(bodies, nil)
        return true
    }

    /// nil: never rendered; `.some(nil)`: it failed.
    func remembered(_ bodies: [String]) -> [RenderedMarkdown]?? { results[bodies] }

    func remember(_ bodies: [String], _ rendered: [RenderedMarkdown]?) {
        // Texts up to 64 KB (announcements, previews): memory stays within a few tens of MB.
        guard results[bodies] == nil, bodies.reduce(0, { $0 + $1.utf8.count }) < 65_536 else { return }
        results[bodies] = rendered
        order.append(bodies)
        if order.count > capacity { results[order.removeFirst()] = nil }
    }
}
