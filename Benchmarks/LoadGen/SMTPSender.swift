import NIOCore
import NIOPosix

/// What one SMTP connection does: deliver mails until a deadline, or time NOOPs.
enum SMTPScript: Sendable {
    case mails([FixtureMail], sender: Int, recipient: String, until: NIODeadline)
    case noops(Int)
}

enum SMTPRun {
    /// Runs `script` on a new connection and returns when the connection has closed.
    static func connect(host: String, port: Int, script: SMTPScript, ledger: SMTPLedger, eventLoops: any EventLoopGroup) async throws {
        let loop = eventLoops.next()
        let done = loop.makePromise(of: Void.self)
        let nonce = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        _ = try await ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CRLFLineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(SMTPSender(script: script, nonce: nonce, ledger: ledger, done: done))
                }
            }
            .connect(host: host, port: port).get()
        try await done.futureResult.get()
    }

    static func noops(host: String, port: Int, count: Int, eventLoops: any EventLoopGroup) async throws -> LatencySummary {
        let ledger = SMTPLedger()
        try await connect(host: host, port: port, script: .noops(count), ledger: ledger, eventLoops: eventLoops)
        return LatencySummary(nanoseconds: ledger.latencies)
    }
}

/// An SMTP client as a state machine over reply lines, one command at a time (no pipelining),
/// as a mail server delivering to Kefu would.
private final class SMTPSender: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Stage { case greeting, hello, mailFrom, recipient, data, content, noop, reset, quit }

    private let script: SMTPScript
    private let nonce: String
    private let ledger: SMTPLedger
    private let done: EventLoopPromise<Void>
    private var stage = Stage.greeting
    private var number = 0
    private var began: UInt64 = 0

    init(script: SMTPScript, nonce: String, ledger: SMTPLedger, done: EventLoopPromise<Void>) {
        self.script = script
        self.nonce = nonce
        self.ledger = ledger
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        guard let code = line.getString(at: line.readerIndex, length: 3).flatMap({ Int($0) }) else {
            ledger.failed("a reply line without a code")
            return context.close(promise: nil)
        }
        if line.readableBytes > 3, line.getInteger(at: line.readerIndex + 3, as: UInt8.self) == UInt8(ascii: "-") { return }
        let now = NIODeadline.now().uptimeNanoseconds
        switch (stage, code) {
        case (.greeting, 220):
            send(context, "EHLO sender.bench.example")
            stage = .hello
        case (.hello, 250), (.reset, 250):
            next(context)
        case (.mailFrom, 250):
            if case .mails(_, _, let recipient, _) = script { send(context, "RCPT TO:<\(recipient)>") }
            stage = .recipient
        case (.recipient, 250):
            send(context, "DATA")
            stage = .data
        case (.data, 354):
            writeMail(context)
            stage = .content
        case (.content, 250), (.noop, 250):
            ledger.stored(now &- began)
            next(context)
        case (.quit, _):
            context.close(promise: nil)
        default:
            ledger.failed("\(stage) answered \(String(buffer: line))")
            if stage == .greeting || stage == .hello { return context.close(promise: nil) }
            send(context, "RSET")
            stage = .reset
        }
    }

    private func next(_ context: ChannelHandlerContext) {
        switch script {
        case .mails(_, let sender, _, let until):
            guard NIODeadline.now() < until else { return quit(context) }
            number += 1
            began = NIODeadline.now().uptimeNanoseconds
            send(context, "MAIL FROM:<customer\(sender)@bench.example>")
            stage = .mailFrom
        case .noops(let count):
            guard number < count else { return quit(context) }
            number += 1
            began = NIODeadline.now().uptimeNanoseconds
            send(context, "NOOP")
            stage = .noop
        }
    }

    private func writeMail(_ context: ChannelHandlerContext) {
        guard case .mails(let mails, let sender, _, _) = script else { return }
        let mail = mails[(sender + number) % mails.count]
        context.write(wrapOutboundOut(mail.head), promise: nil)
        context.write(wrapOutboundOut(ByteBuffer(string: "Message-ID: <lg.\(nonce).\(sender).\(number)@bench.example>\r\n\r\n")), promise: nil)
        context.write(wrapOutboundOut(mail.body), promise: nil)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: ".\r\n")), promise: nil)
    }

    private func quit(_ context: ChannelHandlerContext) {
        send(context, "QUIT")
        stage = .quit
    }

    private func send(_ context: ChannelHandlerContext, _ command: String) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: command + "\r\n")), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if stage != .quit { ledger.failed("connection closed while waiting in \(stage)") }
        done.succeed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ledger.failed("\(error)")
        context.close(promise: nil)
    }
}
