import HTTPTypes
import KefuCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Sent into a connection's pipeline to close it at a connection cap (it only held a slot).
struct EvictConnection: Sendable {}

/// First in every HTTP connection's pipeline (it sees the bytes): closes connections that wait
/// too long by `HTTPConnectionClock`, answers a refused connection with a 503 problem, and keeps
/// the connection's entry in the listener's `ConnectionGate` up to date (busy or waiting).
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private var clock: HTTPConnectionClock
    /// The connection's slot, or why it was refused one.
    private let admission: Result<ConnectionSlot, ConnectionGate.Refusal>
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var context: ChannelHandlerContext?
    private var reportedWaiting = true
    private var reportedAt = NIODeadline.now()
    /// Set while the peer does not read what is written to it (a slow-read attack holds a busy
    /// connection forever otherwise: busy connections have no deadline and are never evicted).
    private var stallTimer: Scheduled<Void>?

    init(admission: Result<ConnectionSlot, ConnectionGate.Refusal>, idleTimeout: TimeAmount, requestTimeout: TimeAmount) {
        self.admission = admission
        self.clock = HTTPConnectionClock(idleTimeout: idleTimeout, requestTimeout: requestTimeout, now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        stallTimer?.cancel()
        stallTimer = nil
        self.context = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTimer?.cancel()
            stallTimer = nil
        } else if stallTimer == nil, clock.state != .closed {
            stallTimer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: clock.requestTimeout) { [self] in
                stallTimer = nil
                guard let context = self.context, clock.state != .closed else { return }
                clock.closed()
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private var started = false

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if case .failure(let reason) = admission {
            clock.closed()
            answerAndClose(context, Self.refusal(reason))
            return
        }
        rearm(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.closed()
        timer?.cancel()
        timer = nil
        stallTimer?.cancel()
        stallTimer = nil
        if case .success(let slot) = admission { slot.release() }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused or timed-out connection reads nothing more into the application.
        if clock.state == .closed { return }
        clock.bytesRead(at: .now(), count: unwrapInboundIn(data).readableBytes)
        report(touched: true)
        rearm(context)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .request(_, _, _, false, _) = clock.state, case .byteBuffer(let buffer) = unwrapOutboundIn(data),
            buffer.readableBytesView.starts(with: Self.switchingProtocols)
        {
            // The WebSocket upgrade (its 101 is written below the HTTP handlers): pings take over,
            // unless chat sockets already hold their share of the connections.
            if case .success(let slot) = admission, !slot.markLongLived() {
                clock.closed()
                promise?.fail(ChannelError.outputClosed)
                answerAndClose(context, Self.refusal(.process))
                return
            }
            clock.upgraded()
            report(touched: true)
            rearm(context)
        } else {
            clock.responseBytesWritten()
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is EvictConnection {
            // Made room for another: a request in the middle is told so (503), not "timed out".
            guard clock.isWaiting else { return }
            let midRequest = isMidRequest
            clock.closed()
            if midRequest { answerAndClose(context, Self.refusal(.process)) } else { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Events from the HTTP level (`HTTPExchangeObserver`), on this event loop.

    func requestHeadRead() { update { $0.headRead(at: .now()) } }
    func requestEndRead() { update { $0.requestEndRead(at: .now()) } }
    func responseEndWritten() { update { $0.responseEndWritten(at: .now()) } }

    private func update(_ change: (inout HTTPConnectionClock) -> Void) {
        guard let context, clock.state != .closed else { return }
        change(&clock)
        report(touched: false)
        rearm(context)
    }

    /// A request that is not HTTP: 400, then close (unless an answer already started).
    func answerUnreadableRequest() {
        guard let context, clock.state != .closed else { return }
        let answered = !isMidRequest
        clock.closed()
        if answered {
            context.close(promise: nil)
        } else {
            answerAndClose(context, Self.badRequest)
        }
    }

    /// Writes a final answer, stops writing, and closes a moment later. Closing at once with the
    /// client's request unread makes the kernel reset the connection, and a reset can discard
    /// the answer before the client reads it (an attacker's flood saw resets instead of 503s).
    private func answerAndClose(_ context: ChannelHandlerContext, _ answer: ByteBuffer) {
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(answer))).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
            // Short: a refused flood must not hold descriptors long past the cap.
            channel.eventLoop.scheduleTask(in: .milliseconds(500)) { channel.close(promise: nil) }
        }
    }

    // MARK: Deadlines

    private var isMidRequest: Bool {
        if case .request(_, _, _, false, _) = clock.state { return true }
        return false
    }

    /// Keeps one timer at the clock's deadline (moved earlier when the deadline moved earlier).
    private func rearm(_ context: ChannelHandlerContext) {
        guard let deadline = clock.deadline else {
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            return
        }
        if let timerDeadline, timerDeadline <= deadline, timer != nil { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = nil
            guard let context = self.context else { return }
            expire(context, action: clock.timeoutFired(at: .now()))
        }
    }

    /// Carries out what the clock decided when its deadline passed (it is closed unless `.none`).
    private func expire(_ context: ChannelHandlerContext, action: HTTPConnectionClock.Action) {
        switch action {
        case .none: rearm(context)
        case .close: context.close(promise: nil)
        case .requestTimeout: answerAndClose(context, Self.requestTimeout)
        }
    }

    /// Tells the gate whether this connection only holds a slot, and when it last did something:
    /// at once when that changes, else at most once a second (the gate's lock is shared by every
    /// connection, and eviction needs no finer order than that).
    private func report(touched: Bool) {
        guard case .success(let slot) = admission else { return }
        let waiting = clock.isWaiting
        let now = NIODeadline.now()
        guard waiting != reportedWaiting || (touched && now - reportedAt >= .seconds(1)) else { return }
        reportedWaiting = waiting
        reportedAt = now
        slot.touch(waiting: waiting)
    }

    // MARK: Answers written below HTTP (no request was parsed, or it never finished)

    static let switchingProtocols = Array("HTTP/1.1 101 ".utf8)

    static let requestTimeout = problem(
        status: "408 Request Timeout", code: "request_timeout",
        title: "The request did not arrive in time", detail: "The request was not completed in time. 请求未在规定时间内完成。")

    static let badRequest = problem(
        status: "400 Bad Request", code: "bad_request", title: "Not an HTTP request",
        detail: "The request could not be read as HTTP. 无法将请求识别为 HTTP。")

    static func refusal(_ reason: ConnectionGate.Refusal) -> ByteBuffer {
        problem(
            status: "503 Service Unavailable", code: "too_many_connections", title: "Too many connections",
            detail: reason == .address
                ? "Too many open connections from your address; try again shortly. 来自您地址的连接过多，请稍后再试。"
                : "The server has too many open connections; try again shortly. 服务器连接过多，请稍后再试。",
            retryAfter: 1)
    }

    static func problem(status: String, code: String, title: String, detail: String, retryAfter: Int? = nil) -> ByteBuffer {
        let body = #"{"type":"about:blank","title":"\#(title)","status":\#(status.prefix(3)),"code":"\#(code)","detail":"\#(detail)"}"#
        var head = "HTTP/1.1 \(status)\r\nContent-Type: application/problem+json; charset=utf-8\r\nConnection: close\r\n"
        if let retryAfter { head += "Retry-After: \(retryAfter)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        return ByteBuffer(string: head + body)
    }
}

/// Behind the HTTP codec: tells the connection's `ConnectionDeadlineHandler` where each request
/// and response begins and ends, which the bytes alone cannot say.
final class HTTPExchangeObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var deadlines: ConnectionDeadlineHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        deadlines = try? context.pipeline.syncOperations.handler(type: ConnectionDeadlineHandler.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadlines = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadlines?.requestHeadRead()
        case .end: deadlines?.requestEndRead()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd: Bool
        if case .end = unwrapOutboundIn(data) { isEnd = true } else { isEnd = false }
        context.write(data, promise: promise)
        if isEnd { deadlines?.responseEndWritten() }
    }
}

/// Last in the pipeline: bytes that are not HTTP in a connection's first request (where the
/// WebSocket upgrade code, not Hummingbird, reads them) get `400` and the connection closes.
/// Later requests' parse errors are answered by Hummingbird itself.
final class UnreadableRequestAnswer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError,
            (try? context.pipeline.syncOperations.handler(type: HTTPExchangeObserver.self)) == nil,
            let deadlines = try? context.pipeline.syncOperations.handler(type: ConnectionDeadlineHandler.self)
        else {
            context.fireErrorCaught(error)
            return
        }
        deadlines.answerUnreadableRequest()
    }
}
