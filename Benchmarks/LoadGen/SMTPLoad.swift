import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// K senders, each one SMTP connection delivering fixture mails back to back (closed loop) for
/// a while; per mail the time from `MAIL FROM` to the `250` after the data, which Kefu sends
/// only once the mail is parsed and committed. Baselines: `NOOP` round trips on Kefu's own
/// listener, and the same senders against the baseline server's SMTP sink.
struct SMTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "smtp", abstract: "SMTP senders delivering fixture mails: mails/s and latency.")

    @OptionGroup var server: ServerOptions
    @Option(help: "kefu's SMTP listener (KEFU_SMTP_LISTEN).") var smtp = "127.0.0.1:2525"
    @Option(help: "Concurrent senders, one connection each.") var senders = 20
    @Option(help: "Seconds of sending.") var seconds = 20.0
    @Option(help: "NOOP round trips for the protocol baseline.") var noops = 2000
    @Option(help: "The fixture mails (kefu's mail tests' corpus).") var fixtures = "Tests/KefuMailTests/Fixtures"
    @Option(help: "Recipient: kefu's support address.") var recipient = "support@kefu.example"

    static let corpus = ["foxmail-gbk.eml", "outlook-gb2312-qp.eml", "apple-mail-utf8.eml", "html-only.eml", "big5.eml"]

    func run() async throws {
        _ = raiseDescriptorLimit()
        let mails = try Self.corpus.map { try FixtureMail(path: "\(fixtures)/\($0)") }
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: server.threads)
        let parts = smtp.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--smtp is host:port") }
        let host = String(parts[0])
        var report = SMTPReport(senders: senders, seconds: seconds, loadAverageBefore: loadAverage())
        if !server.noBaseline {
            let peer = try BaselineProcess.start()
            report.sink = try await deliver(to: "127.0.0.1", port: peer.smtpPort, mails: mails, gauge: peer.gauge, eventLoops: eventLoops)
            peer.stop()
            print("baseline sink: \(report.sink!.text)")
        }
        // The NOOP connection is closed before the senders connect: kefu allows 20 per address.
        report.noop = try await SMTPRun.noops(host: host, port: port, count: noops, eventLoops: eventLoops)
        try await sleep(seconds: 0.5)
        report.kefu = try await deliver(to: host, port: port, mails: mails, gauge: server.serverPid.map(ProcessGauge.init), eventLoops: eventLoops)
        report.loadAverageAfter = loadAverage()
        report.finish()
        report.printSummary()
        if server.json { printJSON(report) }
        try await eventLoops.shutdownGracefully()
    }

    private func deliver(to host: String, port: Int, mails: [FixtureMail], gauge: ProcessGauge?, eventLoops: any EventLoopGroup) async throws -> SMTPDelivery {
        let ledger = SMTPLedger()
        let cpu = CPUWindow(server: gauge)
        let start = NIODeadline.now()
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    let script = SMTPScript.mails(mails, sender: sender, recipient: recipient, until: deadline)
                    try await SMTPRun.connect(host: host, port: port, script: script, ledger: ledger, eventLoops: eventLoops)
                }
            }
            try await group.waitForAll()
        }
        let span = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        return ledger.delivery(seconds: span, cores: cpu.cores())
    }
}

/// A fixture mail split once into its header (without Message-ID) and body, line endings made
/// CRLF and leading dots doubled as DATA requires; each send adds a fresh Message-ID.
struct FixtureMail: Sendable {
    let head: ByteBuffer
    let body: ByteBuffer

    init(path: String) throws {
        guard let raw = FileManager.default.contents(atPath: path), !raw.isEmpty else {
            throw LoadError.failed("fixture \(path) is missing or empty: run from the repository root or pass --fixtures")
        }
        var lines = [UInt8](raw).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? Array(line.dropLast()) : Array(line)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let blank = lines.firstIndex(where: \.isEmpty) else { throw LoadError.failed("fixture \(path) has no blank line after its header") }
        func wire(_ lines: ArraySlice<[UInt8]>) -> ByteBuffer {
            var buffer = ByteBuffer()
            for line in lines {
                if line.first == UInt8(ascii: ".") { buffer.writeInteger(UInt8(ascii: ".")) }
                buffer.writeBytes(line)
                buffer.writeString("\r\n")
            }
            return buffer
        }
        head = wire(lines[..<blank].filter { !String(decoding: $0.prefix(11), as: UTF8.self).lowercased().hasPrefix("message-id:") }[...])
        body = wire(lines[(blank + 1)...])
    }
}

/// Every stored mail's latency and every failure, from all senders.
final class SMTPLedger: Sendable {
    private struct Book {
        var latencies: [UInt64] = []
        var failures: [String: Int] = [:]
    }

    private let book = Mutex(Book())

    func stored(_ nanoseconds: UInt64) { book.withLock { $0.latencies.append(nanoseconds) } }
    func failed(_ why: String) { book.withLock { $0.failures[why, default: 0] += 1 } }
    var latencies: [UInt64] { book.withLock { $0.latencies } }

    func delivery(seconds: Double, cores: CPUShare) -> SMTPDelivery {
        book.withLock { book in
            SMTPDelivery(
                stored: book.latencies.count, failures: book.failures,
                mailsPerSecond: (Double(book.latencies.count) / seconds).rounded(), latency: LatencySummary(nanoseconds: book.latencies), cpuCores: cores)
        }
    }
}

struct SMTPDelivery: Codable {
    let stored: Int
    let failures: [String: Int]
    let mailsPerSecond: Double
    /// MAIL FROM → the 250 after the data.
    let latency: LatencySummary
    let cpuCores: CPUShare

    var text: String {
        "\(stored) mails, \(Int(mailsPerSecond)) mails/s, \(latency.text); failures \(failures); "
            + "CPU cores server \(cpuCores.server.map { "\($0)" } ?? "?"), generator \(cpuCores.generator.map { "\($0)" } ?? "?")"
    }
}

struct SMTPReport: Codable {
    let senders: Int
    let seconds: Double
    let loadAverageBefore: String
    var loadAverageAfter = ""
    var kefu: SMTPDelivery?
    var sink: SMTPDelivery?
    var noop: LatencySummary?
    var ratios: [String: Double] = [:]

    init(senders: Int, seconds: Double, loadAverageBefore: String) {
        self.senders = senders
        self.seconds = seconds
        self.loadAverageBefore = loadAverageBefore
    }

    mutating func finish() {
        guard let kefu else { return }
        if let noop { ratios["kefuP50OverNoopP50"] = ratio(kefu.latency.p50, noop.p50) }
        if let sink {
            ratios["sinkThroughputOverKefu"] = ratio(sink.mailsPerSecond, kefu.mailsPerSecond)
            ratios["kefuP50OverSinkP50"] = ratio(kefu.latency.p50, sink.latency.p50)
        }
    }

    func printSummary() {
        print("== smtp: \(senders) senders for \(seconds) s; load average \(loadAverageBefore) → \(loadAverageAfter)")
        if let kefu { print("kefu: \(kefu.text)") }
        if let sink { print("baseline sink: \(sink.text)") }
        if let noop { print("kefu NOOP round trip: \(noop.text)") }
        print("ratios: \(ratios.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }
}
