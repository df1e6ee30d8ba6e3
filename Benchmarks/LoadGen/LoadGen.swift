import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Load on a real `kefu` from a process of its own (issue 17): a Python generator on this
/// 2-core machine became the bottleneck. Every figure is printed beside a baseline measured by
/// the same generator in the same run against a trivial peer (`BaselineServer`), so a figure
/// reads as a ratio on a noisy machine, and the generator's own ceiling is on record.
@main
struct LoadGen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat, idle-socket and SMTP load against a running kefu, each beside a baseline of the same shape.",
        subcommands: [ChatCommand.self, IdleCommand.self, SMTPCommand.self, BaselineServerCommand.self])
}

/// What every load subcommand is told about the server under test.
struct ServerOptions: ParsableArguments {
    @Option(help: "The kefu HTTP address.") var url = "http://127.0.0.1:8080"
    @Option(help: "kefu's process id, for its RSS and CPU time.") var serverPid: Int32?
    @Option(help: "Event-loop threads of the generator.") var threads = System.coreCount
    @Flag(help: "Print the result as JSON as well.") var json = false
    @Flag(help: "Skip the baseline run against LoadGen's own trivial server.") var noBaseline = false

    var host: String { URLComponents(string: url)?.host ?? "127.0.0.1" }
    var port: Int { URLComponents(string: url)?.port ?? 8080 }
}

enum LoadError: Error, CustomStringConvertible {
    case refused(String)
    case failed(String)

    var description: String {
        switch self {
        case .refused(let why), .failed(let why): why
        }
    }
}

/// Descriptors: sockets are files, and both ends of a load run hold thousands.
func raiseDescriptorLimit() -> Int {
    var limits = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
    limits.rlim_cur = limits.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits)
    return Int(limits.rlim_cur)
}

/// Memory and CPU of a process, from /proc (Linux only, as the machine is).
struct ProcessGauge {
    let pid: Int32

    static var current: ProcessGauge { ProcessGauge(pid: getpid()) }

    var rssKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
    }

    /// User plus system CPU seconds so far.
    var cpuSeconds: Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name; utime and stime are the 14th and 15th of the whole line.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// CPU used by kefu and by the generator over a stretch of wall time, in cores.
struct CPUWindow {
    let server: ProcessGauge?
    private let start = NIODeadline.now()
    private let serverStart: Double?
    private let ownStart: Double?

    init(server: ProcessGauge?) {
        self.server = server
        serverStart = server?.cpuSeconds
        ownStart = ProcessGauge.current.cpuSeconds
    }

    func cores() -> CPUShare {
        let wall = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        func share(_ before: Double?, _ after: Double?) -> Double? {
            guard let before, let after, wall > 0 else { return nil }
            return ((after - before) / wall * 100).rounded() / 100
        }
        return CPUShare(server: share(serverStart, server?.cpuSeconds), generator: share(ownStart, ProcessGauge.current.cpuSeconds))
    }
}

struct CPUShare: Codable {
    let server: Double?
    let generator: Double?
}

/// The machine's load average, printed with every result (the figures are only as quiet as it).
func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
}

/// Percentiles of a run's samples (nanoseconds in, milliseconds out); exact, from sorted arrays.
struct LatencySummary: Codable {
    let count: Int
    let p50: Double
    let p99: Double
    let max: Double

    init(nanoseconds samples: [UInt64]) {
        let sorted = samples.sorted()
        func at(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let value = sorted[min(sorted.count - 1, Int((fraction * Double(sorted.count - 1)).rounded()))]
            return (Double(value) / 1e4).rounded() / 100
        }
        count = sorted.count
        p50 = at(0.5)
        p99 = at(0.99)
        max = at(1)
    }

    var text: String { count == 0 ? "no samples" : "p50 \(p50) ms, p99 \(p99) ms, max \(max) ms (n=\(count))" }
}

func ratio(_ a: Double, _ b: Double) -> Double {
    guard b > 0, a.isFinite, b.isFinite else { return .nan }
    return (a / b * 100).rounded() / 100
}

func sleep(seconds: Double) async throws {
    try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
}
