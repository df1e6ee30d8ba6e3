import KefuCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// Where received mail goes: the email channel implements this.
public protocol SMTPMailSink: Sendable {
    /// Which recipient addresses this server takes mail for (asked once per connection, at its
    /// first RCPT).
    func recipientPolicy() async -> @Sendable (String) -> RecipientVerdict
    /// Stores the message; `.accepted` only once it is durable.
    func deliver(_ envelope: SMTPEnvelope, data: [UInt8]) async -> SMTPDeliveryResult
}

/// What the listener answers to RCPT TO for an address.
public enum RecipientVerdict: Sendable, Equatable {
    case accepted
    /// 550: not an address of this server.
    case noSuchMailbox
    /// 451: cannot be told now (the database failed); the sender retries.
    case tryLater
}

/// Kefu's inbound SMTP listener (KEFU_SMTP_LISTEN) on SwiftNIO: one `SMTPSession` per
/// connection, replies written in order (so pipelining clients work), optional STARTTLS.
public struct SMTPServer: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var hostname: String
        public var maxMessageSize: Int
        /// When set, STARTTLS is offered with this certificate.
        public var tls: NIOSSLContext?
        /// A connection silent this long is closed.
        public var idleTimeout: TimeAmount
        /// Open connections in the process and per client address; at a cap the connection
        /// silent longest makes room, so a flood of idle ones never keeps a sender out.
        public var connectionLimits: ConnectionAdmission<ConnectionGate.Evict>.Limits
        /// The longest a RCPT waits for the recipients' lookup before it is answered 451.
        public var recipientLookupDeadline: Duration = .seconds(5)
        /// The longest one message may take from DATA to its final dot. The idle limit alone
        /// lets a sender that writes a line every few minutes keep its share of the memory
        /// budget for ever; RFC 5321 §4.5.3.2 has the client wait 10 minutes for the answer.
        public var dataDeadline: Duration = .seconds(600)
        /// Bytes all connections' messages in progress may hold together (`MessageMemoryBudget`).
        public var messageMemory: Int = MessageMemoryBudget.forThisMachine

        public init(
            host: String, port: Int, hostname: String, maxMessageSize: Int = 25 << 20, tls: NIOSSLContext? = nil,
            idleTimeout: TimeAmount = .minutes(5), connectionLimits: ConnectionAdmission<ConnectionGate.Evict>.Limits = .init(maxTotal: 500, maxPerAddress: 20)
        ) {
            self.host = host
            self.port = port
            self.hostname = hostname
            self.maxMessageSize = maxMessageSize
            self.tls = tls
            self.idleTimeout = idleTimeout
            self.connectionLimits = connectionLimits
        }
    }

    let configuration: Configuration
    let sink: any SMTPMailSink
    let logger: Logger
    let onListening: @Sendable (SocketAddress) -> Void
    /// Shared by every connection.
    let memory: MessageMemoryBudget

    public init(
        configuration: Configuration, sink: any SMTPMailSink, logger: Logger, onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.memory = MessageMemoryBudget(limit: configuration.messageMemory)
        self.sink = sink
        self.logger = logger
        self.onListening = onListening
    }

    /// Longest line accepted (RFC 5321 allows 1000; real senders sometimes exceed it).
    static let maxLineLength = 1 << 20

    public func run() async throws {
        let idle = configuration.idleTimeout
        let gate = ConnectionGate(limits: configuration.connectionLimits)
        let hostname = configuration.hostname
        let logger = self.logger
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                let address = ClientNetwork.key(channel.remoteAddress?.ipAddress)
                let (admission, _) = gate.admit(address: address, evict: { channel.pipeline.fireUserInboundEventTriggered(SMTPConnectionGuard.Evict()) })
                if case .failure(let reason) = admission {
                    logger.warning("SMTP connection refused", metadata: ["client": "\(address)", "cap": "\(reason.rawValue)"])
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SMTPConnectionGuard(admission: admission, hostname: hostname))
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                    try channel.pipeline.syncOperations.addHandler(CloseOnIdle())
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder(maxLength: Self.maxLineLength)))
                    return try NIOAsyncChannel<SMTPLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        if let address = server.channel.localAddress { onListening(address) }
        logger.info("SMTP listening", metadata: ["address": "\(server.channel.localAddress?.description ?? "?")"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask {
                            // On shutdown an unfinished transaction is dropped unacknowledged:
                            // the sender keeps the mail and retries, so nothing is lost.
                            try? await cancelWhenGracefulShutdown { await handle(connection) }
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    func handle(_ connection: NIOAsyncChannel<SMTPLine, ByteBuffer>) async {
        let channel = connection.channel
        // Recipients are looked up at the first RCPT, with a deadline: the greeting never waits
        // for the database, and a database that does not answer costs a sender a 451, not minutes.
        var recipientsKnown = false
        // When the message being received began (its DATA), against `dataDeadline`; nil
        // outside DATA.
        var dataStarted: ContinuousClock.Instant?
        var session = SMTPSession(
            configuration: .init(
                hostname: configuration.hostname, maxMessageSize: configuration.maxMessageSize, tlsAvailable: configuration.tls != nil,
                recipientVerdict: { _ in .tryLater }, memory: memory),
            clientAddress: channel.remoteAddress?.ipAddress)
        defer { session.end() }
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await write(session.greeting, to: outbound)
                // Whatever arrives in plaintext after the client asked for TLS may have been injected
                // by an attacker in the path (RFC 3207 §4.2). In the same packet as STARTTLS it is
                // refused in plaintext; read later but before the switch, the connection just ends.
                var switchingToTLS = false
                for try await item in inbound {
                    // Set only while a message is being received (see below the switch).
                    if let started = dataStarted, ContinuousClock.now - started > configuration.dataDeadline {
                        try await write(.reply(421, "4.4.2 The message took too long; closing"), to: outbound)
                        return
                    }
                    var actions: [SMTPSession.Action]
                    switch item {
                    case .line where switchingToTLS, .overlong where switchingToTLS, .injectedAfterStartTLS:
                        try await write(.reply(421, "4.7.0 Data after STARTTLS; closing"), to: outbound)
                        return
                    case .tlsStarted:
                        switchingToTLS = false
                        continue
                    case .line(let bytes):
                        if !recipientsKnown, SMTPSession.asksForRecipient(bytes) {
                            session.useRecipientVerdict(await recipientPolicy())
                            recipientsKnown = true
                        }
                        actions = session.receive(bytes)
                    case .overlong: actions = session.receiveOverlongLine()
                    }
                    if session.isReceivingData, dataStarted == nil { dataStarted = .now }
                    if !session.isReceivingData { dataStarted = nil }
                    while !actions.isEmpty {
                        let action = actions.removeFirst()
                        switch action {
                        case .reply:
                            try await write(action, to: outbound)
                        case .close:
                            return
                        case .startTLS:
                            guard let tls = configuration.tls else { continue }
                            // The 220 goes out in the same step, so it is the last plaintext.
                            try await StartTLS.switchOver(
                                channel, first: { $0.writeAndFlush(Self.wire(220, "2.0.0 Ready to start TLS"), promise: nil) },
                                tls: { NIOSSLServerHandler(context: tls) })
                            session.tlsEstablished()
                            switchingToTLS = true
                        case .deliver(let envelope, let data):
                            let result = await sink.deliver(envelope, data: data)
                            actions.insert(contentsOf: session.delivered(result), at: 0)
                        }
                    }
                }
            }
        } catch {
            logger.debug("SMTP connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// The sink's recipient policy, or "try later" for every address when it takes longer than
    /// `recipientLookupDeadline`.
    func recipientPolicy() async -> @Sendable (String) -> RecipientVerdict {
        let sink = self.sink
        let policy = await result(of: { await sink.recipientPolicy() }, within: configuration.recipientLookupDeadline, otherwise: nil)
        guard let policy else {
            logger.warning("the recipients' lookup took too long; recipients are deferred (451)")
            return { _ in .tryLater }
        }
        return policy
    }

    func write(_ action: SMTPSession.Action, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        guard case .reply(let code, let text) = action else { return }
        try await outbound.write(Self.wire(code, text))
    }

    /// A reply as sent: one line per line of `text`, all but the last marked as continued.
    static func wire(_ code: Int, _ text: String) -> ByteBuffer {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var output = ""
        for (index, line) in lines.enumerated() {
            output += "\(code)\(index == lines.count - 1 ? " " : "-")\(line)\r\n"
        }
        return ByteBuffer(string: output)
    }
}

/// The switch from plaintext to TLS on an SMTP connection (RFC 3207), for the listener and
/// the relay client alike.
enum StartTLS {
    /// In one event-loop step: `first` (the listener's 220), the TLS handler `tls` in front of
    /// everything read after it, and a `.tlsStarted` mark behind the lines already decoded. A
    /// line before the mark was plaintext sent after STARTTLS, possibly injected by an attacker
    /// in the path. Done in two steps, a peer's handshake read in between would be taken for
    /// text (a loaded CI machine caught that on the listener).
    static func switchOver(
        _ channel: any Channel, first: @escaping @Sendable (any Channel) -> Void = { _ in }, tls: @escaping @Sendable () throws -> any ChannelHandler,
        then: @escaping @Sendable (any Channel, any ChannelHandler) throws -> Void = { _, _ in }
    ) async throws {
        try await channel.eventLoop.submit {
            first(channel)
            let handler = try tls()
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            // Whatever must watch the handshake (the client's outcome) is in place before it starts.
            try then(channel, handler)
            let decoder = try channel.pipeline.syncOperations.context(handlerType: ByteToMessageHandler<SMTPLineDecoder>.self)
            decoder.fireChannelRead(NIOAny(SMTPLine.tlsStarted))
            // The async channel hands reads over at read-complete; without it the mark would wait
            // for the next bytes, which the peer sends only after seeing it (a deadlock).
            decoder.fireChannelReadComplete()
        }.get()
    }
}

/// One unit of SMTP input.
public enum SMTPLine: Sendable {
    /// A line without its CRLF (or bare LF).
    case line([UInt8])
    /// A line longer than the limit (its bytes were dropped).
    case overlong
    /// STARTTLS with bytes behind it in the same packet, before the TLS handshake.
    case injectedAfterStartTLS
    /// Not from the wire: `StartTLS.switchOver` marks where plaintext ends and TLS begins.
    case tlsStarted
}

/// Splits the byte stream into lines; watches for data pipelined after STARTTLS.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPLine
    let maxLength: Int
    var discarding = false

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else {
            if buffer.readableBytes > maxLength {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                discarding = true
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        let endsWithCR = length > 0 && buffer.getInteger(at: newline - 1, as: UInt8.self) == 0x0D
        // Too long whether it came in pieces (dropped as it grew) or whole in one read.
        if discarding || length - (endsWithCR ? 1 : 0) > maxLength {
            buffer.moveReaderIndex(forwardBy: length + 1)
            discarding = false
            context.fireChannelRead(wrapInboundOut(.overlong))
            return .continue
        }
        var line = buffer.readBytes(length: length) ?? []
        buffer.moveReaderIndex(forwardBy: 1)
        if line.last == 0x0D { line.removeLast() }
        if line.count == 8, String(decoding: line, as: UTF8.self).uppercased() == "STARTTLS", buffer.readableBytes > 0 {
            // Reported instead of the STARTTLS line, so the refusal still goes out in plaintext.
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            context.fireChannelRead(wrapInboundOut(.injectedAfterStartTLS))
            return .continue
        }
        context.fireChannelRead(wrapInboundOut(.line(line)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// First in an SMTP connection's pipeline: keeps its entry in the listener's `ConnectionGate`
/// (the last time it said something), and answers 421 when it is refused or evicted at a cap.
final class SMTPConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Evict: Sendable {}

    let admission: Result<ConnectionSlot, ConnectionGate.Refusal>
    let hostname: String
    private var done = false
    /// The gate hears of activity at most once a second (its lock is shared by every connection).
    private var touchedAt = NIODeadline.now()

    init(admission: Result<ConnectionSlot, ConnectionGate.Refusal>, hostname: String) {
        self.admission = admission
        self.hostname = hostname
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuseIfNeeded(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuseIfNeeded(context)
        // A refused connection never reaches the session (no 220 greeting after the 421).
        if !done { context.fireChannelActive() }
    }

    private func refuseIfNeeded(_ context: ChannelHandlerContext) {
        guard case .failure = admission, !done else { return }
        closeWith421(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if done { return }
        if case .success(let slot) = admission, NIODeadline.now() - touchedAt >= .seconds(1) {
            touchedAt = .now()
            slot.touch(waiting: true)
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .success(let slot) = admission { slot.release() }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Evict {
            closeWith421(context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func closeWith421(_ context: ChannelHandlerContext) {
        done = true
        context.writeAndFlush(
            wrapOutboundOut(SMTPServer.wire(421, "4.7.0 \(hostname) Too many connections; try again later")), promise: nil)
        context.close(promise: nil)
    }
}

/// Closes a connection that said nothing for the idle timeout.
final class CloseOnIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
