import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// The trivial peers the baselines run against, in a process of their own so a baseline has
/// the same shape as the real run (generator and server sharing the two cores):
/// - WebSocket on bare NIO: `/agent` sockets are feeds; a text frame on any other socket is
///   answered with an `ack` and an echo and copied to every feed, as Kefu fans a message out.
/// - An SMTP-shaped sink: `250` to every command, `354` to DATA, `250` after the final dot,
///   nothing parsed or stored.
struct BaselineServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline-server", abstract: "The trivial WebSocket fan-out and SMTP sink (started by the other subcommands).")

    @Option(help: "Event-loop threads.") var threads = System.coreCount

    func run() async throws {
        _ = raiseDescriptorLimit()
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let feeds = FeedRoster()
        let webSocket = try await ServerBootstrap(group: eventLoops)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 20, shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                    upgradePipelineHandler: { channel, head in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(FanOutHandler(isFeed: head.uri.hasPrefix("/agent"), feeds: feeds))
                        }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let smtp = try await ServerBootstrap(group: eventLoops)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CRLFLineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(SMTPSink())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        // One line on an unbuffered write: the parent waits for it on a pipe.
        FileHandle.standardOutput.write(Data("ready ws=\(webSocket.localAddress?.port ?? 0) smtp=\(smtp.localAddress?.port ?? 0)\n".utf8))
        try await webSocket.closeFuture.get()
    }
}

/// The baseline's agent feeds, written to from whichever loop a visitor's frame arrives on.
final class FeedRoster: Sendable {
    private let feeds = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) { feeds.withLock { $0[ObjectIdentifier(channel)] = channel } }
    func remove(_ channel: any Channel) { _ = feeds.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }
    var all: [any Channel] { feeds.withLock { Array($0.values) } }
}

private final class FanOutHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let isFeed: Bool
    private let feeds: FeedRoster
    private static let ackStart = ByteBuffer(string: #"{"type":"ack","clientMsgId":""#)

    init(isFeed: Bool, feeds: FeedRoster) {
        self.isFeed = isFeed
        self.feeds = feeds
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if isFeed { feeds.add(context.channel) }
        context.writeAndFlush(wrapOutboundOut(Self.text(ByteBuffer(string: #"{"type":"hello"}"#))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text where !isFeed:
            let text = frame.unmaskedData
            var ack = Self.ackStart
            if var id = FrameText.value(after: FrameText.clientMsgId, in: text) { ack.writeBuffer(&id) }
            ack.writeString(#""}"#)
            context.write(wrapOutboundOut(Self.text(ack)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(Self.text(text)), promise: nil)
            for feed in feeds.all { feed.writeAndFlush(Self.text(text), promise: nil) }
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if isFeed { feeds.remove(context.channel) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private static func text(_ data: ByteBuffer) -> WebSocketFrame { WebSocketFrame(fin: true, opcode: .text, data: data) }
}

/// Lines of an SMTP-shaped sink: answers without looking at the mail.
private final class SMTPSink: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var inData = false

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "220 baseline ESMTP\r\n")), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        if inData {
            guard line.readableBytes == 1, line.readableBytesView.first == UInt8(ascii: ".") else { return }
            inData = false
            reply(context, "250 2.0.0 stored")
            return
        }
        switch line.getString(at: line.readerIndex, length: min(4, line.readableBytes))?.uppercased() {
        case "DATA":
            inData = true
            reply(context, "354 go ahead")
        case "QUIT":
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "221 bye\r\n"))).whenComplete { _ in channel.close(promise: nil) }
        default:
            reply(context, "250 ok")
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ text: String) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text + "\r\n")), promise: nil)
    }
}

/// Splits a byte stream into CRLF-terminated lines (the terminator dropped).
struct CRLFLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    private static let crlf = Array("\r\n".utf8)

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let end = FrameText.offset(of: Self.crlf, in: buffer), let line = buffer.readSlice(length: end) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

/// The baseline server as a child process of the generator, for the length of a baseline.
final class BaselineProcess {
    let process: Process
    let webSocketPort: Int
    let smtpPort: Int

    var gauge: ProcessGauge { ProcessGauge(pid: process.processIdentifier) }

    private init(process: Process, webSocketPort: Int, smtpPort: Int) {
        self.process = process
        self.webSocketPort = webSocketPort
        self.smtpPort = smtpPort
    }

    static func start() throws -> BaselineProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["baseline-server"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            guard !more.isEmpty else { throw LoadError.failed("the baseline server ended before it was ready") }
            line += more
        }
        let fields = Dictionary(
            uniqueKeysWithValues: String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { field -> (String, Int)? in
                let parts = field.split(separator: "=")
                return parts.count == 2 ? (String(parts[0]), Int(parts[1]) ?? 0) : nil
            })
        guard let ws = fields["ws"], let smtp = fields["smtp"], ws > 0, smtp > 0 else {
            throw LoadError.failed("the baseline server said: \(String(decoding: line, as: UTF8.self))")
        }
        return BaselineProcess(process: process, webSocketPort: ws, smtpPort: smtp)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
