import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Many widget sockets held open and silent: the server's memory per socket (RSS growth over
/// the sockets opened), beside a bare NIO WebSocket server holding as many.
struct IdleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "Open N idle widget sockets, hold them, report the server's RSS per socket.")

    @OptionGroup var server: ServerOptions
    @Option(help: "Widget sockets to open.") var sockets = 20_000
    @Option(help: "Seconds to hold them after the last opened (Kefu pings every 30 s; a socket must live through it).") var hold = 40.0
    @Option(help: "HTTP connections creating widget sessions.") var sessionConnections = 8
    @Option(help: "Handshakes in flight while opening.") var inFlight = 128
    @Option(help: "Local address of the sockets to kefu (the baseline's are from 127.0.0.2), so earlier runs' TIME_WAIT ports do not collide.")
    var sourceAddress = "127.0.0.3"

    func run() async throws {
        let limit = raiseDescriptorLimit()
        guard let pid = server.serverPid else { throw ValidationError("--server-pid is needed to read kefu's RSS") }
        // Descriptors kept for /proc reads and setup connections: at the limit the gauges go blind.
        let sockets = min(self.sockets, limit - 64)
        if sockets < self.sockets { print("the generator's descriptor limit (\(limit)) allows \(sockets) of the \(self.sockets) sockets asked") }
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: server.threads)
        var report = IdleReport(requested: self.sockets, descriptorLimit: limit, loadAverageBefore: loadAverage())
        if !server.noBaseline {
            let peer = try BaselineProcess.start()
            let targets = (0..<sockets).map { _ in WebSocketTarget(host: "127.0.0.1", port: peer.webSocketPort, path: "/visitor") }
            report.baseline = try await holdOpen("baseline", targets: targets, gauge: peer.gauge, source: "127.0.0.2", eventLoops: eventLoops)
            peer.stop()
        }
        let setup = KefuSetup(host: server.host, port: server.port, group: eventLoops)
        let token = try await setup.agentTokens(1)[0]
        let inbox = try await setup.webchatInbox(token: token)
        let sessionStart = NIODeadline.now()
        let sessions = try await setup.widgetSessions(sockets, inbox: inbox, parallel: sessionConnections)
        let sessionSeconds = Double((NIODeadline.now() - sessionStart).nanoseconds) / 1e9
        print("kefu: \(sockets) widget sessions in \(String(format: "%.1f", sessionSeconds)) s")
        var kefu = try await holdOpen(
            "kefu", targets: sessions.map(setup.widgetTarget), gauge: ProcessGauge(pid: pid), source: sourceAddress, eventLoops: eventLoops)
        kefu.sessionSeconds = sessionSeconds
        report.kefu = kefu
        report.loadAverageAfter = loadAverage()
        if let kefu = report.kefu?.kibPerSocket, let base = report.baseline?.kibPerSocket { report.ratioKiBPerSocket = ratio(kefu, base) }
        report.printSummary()
        if server.json { printJSON(report) }
        try await eventLoops.shutdownGracefully()
    }

    private func holdOpen(
        _ name: String, targets: [WebSocketTarget], gauge: ProcessGauge, source: String, eventLoops: any EventLoopGroup
    ) async throws -> IdleHold {
        let local = try SocketAddress(ipAddress: source, port: 0)
        try await sleep(seconds: 2)
        let before = gauge.rssKiB
        let ownBefore = ProcessGauge.current.rssKiB
        let closing = Latch()
        let dropped = Tally()
        let fleet = await SocketFleet.open(
            targets, eventLoops: eventLoops, inFlight: inFlight, source: { _ in local }, onText: { _ in { _ in } },
            onClose: { _ in { if !closing.isSet { dropped.add() } } })
        print("\(name): \(fleet.opened) of \(targets.count) sockets open in \(String(format: "%.1f", fleet.seconds)) s; failures \(fleet.failures)")
        try await sleep(seconds: 3)
        let after = gauge.rssKiB
        let ownAfter = ProcessGauge.current.rssKiB
        let droppedBeforeHold = dropped.count
        try await sleep(seconds: hold)
        let held = gauge.rssKiB
        closing.set()
        await fleet.close()
        let opened = fleet.opened
        func perSocket(_ from: Int?, _ to: Int?) -> Double? {
            guard let from, let to, opened > 0 else { return nil }
            return (Double(to - from) / Double(opened) * 10).rounded() / 10
        }
        return IdleHold(
            server: name, opened: opened, failures: fleet.failures, sessionSeconds: nil, openSeconds: (fleet.seconds * 10).rounded() / 10,
            rssBeforeKiB: before, rssAfterKiB: after, rssHeldKiB: held, kibPerSocket: perSocket(before, after),
            kibPerSocketAfterHold: perSocket(before, held), droppedWhileOpening: droppedBeforeHold,
            droppedDuringHold: dropped.count - droppedBeforeHold, generatorKiBPerSocket: perSocket(ownBefore, ownAfter))
    }
}

struct IdleHold: Codable {
    let server: String
    let opened: Int
    let failures: [String: Int]
    var sessionSeconds: Double?
    let openSeconds: Double
    let rssBeforeKiB: Int?
    let rssAfterKiB: Int?
    let rssHeldKiB: Int?
    /// RSS growth over the sockets opened, 3 s after the last.
    let kibPerSocket: Double?
    /// The same after the hold (the server's pings and their answers have run).
    let kibPerSocketAfterHold: Double?
    let droppedWhileOpening: Int
    let droppedDuringHold: Int
    /// The generator's own memory per socket (it holds the other end).
    let generatorKiBPerSocket: Double?

    var text: String {
        """
        \(server): \(opened) sockets open in \(openSeconds) s\(sessionSeconds.map { " (sessions made in \(String(format: "%.1f", $0)) s)" } ?? ""); \
        RSS \(rssBeforeKiB ?? 0) → \(rssAfterKiB ?? 0) KiB → held \(rssHeldKiB ?? 0) KiB; \
        \(kibPerSocket.map { "\($0)" } ?? "?") KiB/socket (\(kibPerSocketAfterHold.map { "\($0)" } ?? "?") after the hold); \
        dropped \(droppedWhileOpening) while opening, \(droppedDuringHold) during the hold; failures \(failures); \
        generator \(generatorKiBPerSocket.map { "\($0)" } ?? "?") KiB/socket
        """
    }
}

struct IdleReport: Codable {
    let requested: Int
    let descriptorLimit: Int
    let loadAverageBefore: String
    var loadAverageAfter = ""
    var kefu: IdleHold?
    var baseline: IdleHold?
    var ratioKiBPerSocket: Double?

    init(requested: Int, descriptorLimit: Int, loadAverageBefore: String) {
        self.requested = requested
        self.descriptorLimit = descriptorLimit
        self.loadAverageBefore = loadAverageBefore
    }

    func printSummary() {
        print("== idle: \(requested) sockets requested (generator descriptor limit \(descriptorLimit)); load average \(loadAverageBefore) → \(loadAverageAfter)")
        for hold in [kefu, baseline].compactMap({ $0 }) { print(hold.text) }
        print("ratio kefu/baseline KiB per socket: \(ratioKiBPerSocket.map { "\($0)" } ?? "?")")
    }
}
