import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Visitors sending at a target rate, agent consoles' feeds receiving: the latency from a
/// visitor's send to an agent's feed. Every Kefu agent feed subscribes to *all* conversations
/// (AgentSocket: `bus.subscribe([.allConversations])`), assigned or not, so each message is
/// expected on every feed; "delivered" is the first feed, "every feed" the last.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat", abstract: "Visitors' messages at a target rate → agent feeds: latency, acks, losses; --find-max ramps the rate.")

    @OptionGroup var server: ServerOptions
    @Option(help: "Visitors, each with a widget socket and a conversation.") var visitors = 1000
    @Option(help: "Agent consoles, each with an agent feed.") var agents = 10
    @Option(help: "Messages a second, all visitors together.") var rate = 2000.0
    @Option(help: "Seconds of sending at that rate.") var seconds = 20.0
    @Option(help: "Rate of the warm-up, where each visitor's first message starts its conversation.") var warmupRate = 200.0
    @Option(help: "Seconds to wait after the last send for acks and feeds.") var drainSeconds = 15.0
    @Flag(help: "Ramp the rate to find the most carried with p99 under --p99-limit.") var findMax = false
    @Option(help: "First rate of the ramp.") var startRate = 500.0
    @Option(help: "Each ramp step multiplies the rate by this.") var rateFactor = 1.1
    @Option(help: "The same for the baseline's ramp (it goes much further).") var baselineRateFactor = 1.5
    @Option(help: "Seconds per ramp step.") var stepSeconds = 10.0
    @Option(help: "Highest rate the ramp tries.") var maxRate = 40_000.0
    @Option(help: "p99 visitor → agent feed limit, ms.") var p99Limit = 50.0
    @Option(help: "More instances' URLs, comma-separated: visitors and feeds take --url and these in turn.") var spread = ""

    func run() async throws {
        _ = raiseDescriptorLimit()
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: server.threads)
        let loadBefore = loadAverage()
        var report = ChatRunReport(
            mode: findMax ? "find-max" : "fixed", visitors: visitors, agents: agents, loadAverageBefore: loadBefore)
        if findMax {
            report.kefu = try await runKefu(rates: ramp(from: startRate, factor: rateFactor), eventLoops: eventLoops)
            if !server.noBaseline {
                // The generator's own ceiling, from where Kefu stopped (it must carry at least that).
                let from = report.kefu?.steps.first { !$0.meets(p99Limit: p99Limit) }?.targetRate ?? startRate
                report.baseline = try await runBaseline(rates: ramp(from: from, factor: baselineRateFactor), eventLoops: eventLoops)
            }
        } else {
            if !server.noBaseline { report.baseline = try await runBaseline(rates: [rate], eventLoops: eventLoops) }
            report.kefu = try await runKefu(rates: [rate], eventLoops: eventLoops)
        }
        report.loadAverageAfter = loadAverage()
        report.finish(p99Limit: p99Limit)
        report.printSummary()
        if server.json { printJSON(report) }
        try await eventLoops.shutdownGracefully()
    }

    private func ramp(from first: Double, factor: Double) -> [Double] {
        var rates = [first]
        while let last = rates.last, last < maxRate { rates.append(min(maxRate, (last * factor / 50).rounded() * 50)) }
        return rates
    }

    private func runKefu(rates: [Double], eventLoops: any EventLoopGroup) async throws -> ChatReport {
        let setup = KefuSetup(host: server.host, port: server.port, group: eventLoops)
        let tokens = try await setup.agentTokens(agents)
        let inbox = try await setup.webchatInbox(token: tokens[0])
        let sessionStart = NIODeadline.now()
        let sessions = try await setup.widgetSessions(visitors, inbox: inbox, parallel: 8)
        let sessionSeconds = Double((NIODeadline.now() - sessionStart).nanoseconds) / 1e9
        print("kefu: \(visitors) widget sessions in \(String(format: "%.1f", sessionSeconds)) s")
        // Several instances on one database: each visitor and each feed on the next one in turn,
        // so most messages cross from one instance to another on their way to the feeds.
        let instances = [setup] + spread.split(separator: ",").compactMap { URLComponents(string: String($0)) }.map {
            KefuSetup(host: $0.host ?? "127.0.0.1", port: $0.port ?? 8080, group: eventLoops)
        }
        let visitorTargets = sessions.enumerated().map { instances[$0.offset % instances.count].widgetTarget(token: $0.element) }
        let feedTargets = tokens.enumerated().map { instances[$0.offset % instances.count].agentTarget(token: $0.element) }
        var report = try await runDesk(
            "kefu", visitorTargets: visitorTargets, feedTargets: feedTargets, rates: rates,
            eventLoops: eventLoops, gauge: server.serverPid.map(ProcessGauge.init))
        report.sessionSeconds = sessionSeconds
        return report
    }

    private func runBaseline(rates: [Double], eventLoops: any EventLoopGroup) async throws -> ChatReport {
        let peer = try BaselineProcess.start()
        defer { peer.stop() }
        let visitorTargets = (0..<visitors).map { _ in WebSocketTarget(host: "127.0.0.1", port: peer.webSocketPort, path: "/visitor") }
        let feedTargets = (0..<agents).map { _ in WebSocketTarget(host: "127.0.0.1", port: peer.webSocketPort, path: "/agent") }
        return try await runDesk(
            "baseline", visitorTargets: visitorTargets, feedTargets: feedTargets, rates: rates, eventLoops: eventLoops, gauge: peer.gauge)
    }

    /// Opens the feeds, then the visitors; warms up (each visitor's first message); then runs
    /// each rate in turn, stopping at the first that misses the limit.
    private func runDesk(
        _ name: String, visitorTargets: [WebSocketTarget], feedTargets: [WebSocketTarget], rates: [Double],
        eventLoops: any EventLoopGroup, gauge: ProcessGauge?
    ) async throws -> ChatReport {
        let ledger = ChatLedger()
        let feedFailures = Tally()
        let closing = Latch()
        let feeds = await SocketFleet.open(
            feedTargets, eventLoops: eventLoops, inFlight: 1,
            onText: { _ in
                { frame in
                    if let tag = FrameText.messageTag(in: frame) {
                        ledger.delivered(tag, at: NIODeadline.now().uptimeNanoseconds)
                    } else if FrameText.contains(FrameText.errorType, in: frame) {
                        feedFailures.add()  // `resync`: the feed fell 1,024 events behind and ends
                    }
                }
            },
            onClose: { _ in { if !closing.isSet { feedFailures.add() } } })
        guard feeds.opened == feedTargets.count else { throw LoadError.failed("\(name): agent feeds failed to open: \(feeds.failures)") }
        let desk = await SocketFleet.open(
            visitorTargets, eventLoops: eventLoops, inFlight: 64,
            onText: { _ in
                { frame in
                    if FrameText.contains(FrameText.ackType, in: frame) {
                        if let tag = FrameText.messageTag(in: frame) { ledger.acked(tag, at: NIODeadline.now().uptimeNanoseconds) }
                    } else if FrameText.contains(FrameText.errorType, in: frame) {
                        ledger.error()
                    }
                }
            })
        guard desk.opened == visitorTargets.count else {
            throw LoadError.failed("\(name): \(visitorTargets.count - desk.opened) visitor sockets failed to open: \(desk.failures)")
        }
        print("\(name): \(feeds.opened) agent feeds and \(desk.opened) visitor sockets open in \(String(format: "%.1f", desk.seconds)) s")
        var report = ChatReport(server: name, socketOpenSeconds: desk.seconds)
        let run = StepRunner(visitors: desk.open, feeds: feedTargets.count, ledger: ledger, feedFailures: feedFailures, gauge: gauge)
        report.warmUp = try await run.step(0, rate: warmupRate, seconds: Double(visitorTargets.count) / warmupRate, drain: 120)
        print("\(name) warm-up (each visitor's first message starts a conversation):\n\(report.warmUp!.text)")
        for (index, rate) in rates.enumerated() {
            let step = try await run.step(index + 1, rate: rate, seconds: findMax ? stepSeconds : seconds, drain: drainSeconds)
            print("\(name) step \(index + 1):\n\(step.text)")
            report.steps.append(step)
            if !step.meets(p99Limit: p99Limit) { break }
        }
        closing.set()
        await feeds.close()
        await desk.close()
        return report
    }
}

/// Runs one stretch at one rate on an open desk and waits for its answers.
struct StepRunner {
    let visitors: [any Channel]
    let feeds: Int
    let ledger: ChatLedger
    let feedFailures: Tally
    let gauge: ProcessGauge?

    func step(_ number: Int, rate: Double, seconds: Double, drain: Double) async throws -> ChatStep {
        let perVisitor = max(1, Int((seconds * rate / Double(visitors.count)).rounded()))
        ledger.begin(step: number, visitors: visitors.count, perVisitor: perVisitor, feeds: feeds)
        let failuresBefore = feedFailures.count
        let start = NIODeadline.now() + .milliseconds(100)
        let cpu = CPUWindow(server: gauge)
        ChatPacer(visitors: visitors, ledger: ledger, step: number, rate: rate, perVisitor: perVisitor, start: start).launch()
        let span = Double(visitors.count * perVisitor) / rate
        try await sleep(seconds: 0.1 + span)
        let cores = cpu.cores()
        let drainEnd = NIODeadline.now() + .milliseconds(Int64(drain * 1000))
        while !ledger.settled, NIODeadline.now() < drainEnd, feedFailures.count == failuresBefore { try await sleep(seconds: 0.05) }
        var result = ledger.result(rate: rate, seconds: span, start: start.uptimeNanoseconds)
        result.feedFailures = feedFailures.count - failuresBefore
        result.cpuCores = cores
        return result
    }
}

struct ChatReport: Codable {
    let server: String
    var sessionSeconds: Double?
    let socketOpenSeconds: Double
    var warmUp: ChatStep?
    var steps: [ChatStep] = []
    /// The highest rate whose step met the limit.
    var maxRateMeetingLimit: Double?
    /// The most delivered a second in any step (at overload: the ceiling).
    var mostCarriedPerSecond: Double?
}

struct ChatRunReport: Codable {
    let mode: String
    let visitors: Int
    let agents: Int
    let loadAverageBefore: String
    var loadAverageAfter = ""
    var kefu: ChatReport?
    var baseline: ChatReport?
    /// Kefu's p50 and p99 over the baseline's at the same rate (fixed mode); the baseline's
    /// ceiling over Kefu's (find-max).
    var ratios: [String: Double] = [:]

    init(mode: String, visitors: Int, agents: Int, loadAverageBefore: String) {
        self.mode = mode
        self.visitors = visitors
        self.agents = agents
        self.loadAverageBefore = loadAverageBefore
    }

    mutating func finish(p99Limit: Double) {
        for report in [\ChatRunReport.kefu, \.baseline] {
            guard var value = self[keyPath: report] else { continue }
            value.maxRateMeetingLimit = value.steps.filter { $0.meets(p99Limit: p99Limit) }.map(\.targetRate).max()
            value.mostCarriedPerSecond = value.steps.map(\.deliveredPerSecond).max()
            self[keyPath: report] = value
        }
        if mode == "fixed", let kefu = kefu?.steps.first, let base = baseline?.steps.first {
            ratios["deliveryP50"] = ratio(kefu.deliveryLatency.p50, base.deliveryLatency.p50)
            ratios["deliveryP99"] = ratio(kefu.deliveryLatency.p99, base.deliveryLatency.p99)
        } else if let kefuMost = kefu?.mostCarriedPerSecond, let baseMost = baseline?.mostCarriedPerSecond {
            ratios["baselineCeilingOverKefu"] = ratio(baseMost, kefuMost)
        }
    }

    func printSummary() {
        print("== chat (\(mode)): \(visitors) visitors, \(agents) agent feeds; load average \(loadAverageBefore) → \(loadAverageAfter)")
        for report in [kefu, baseline].compactMap({ $0 }) {
            print(
                "\(report.server): max rate meeting the limit \(report.maxRateMeetingLimit.map { "\(Int($0))" } ?? "none") msg/s, "
                    + "most carried \(Int(report.mostCarriedPerSecond ?? 0)) msg/s")
        }
        print("ratios: \(ratios.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }
}
