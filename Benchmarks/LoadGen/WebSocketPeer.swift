import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket

/// Where a socket connects and what its handshake carries (Kefu's widget token is in the path,
/// the agent feed's Bearer token in a header).
struct WebSocketTarget: Sendable {
    let host: String
    let port: Int
    let path: String
    var headers: [(String, String)] = []

    var upgradeRequest: String {
        var key = [UInt8](repeating: 0, count: 16)
        for index in key.indices { key[index] = .random(in: 0...255) }
        var text = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(Data(key).base64EncodedString())\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }
}

/// A text frame from the server, handled on the socket's event loop. Handlers run per frame at
/// tens of thousands a second, so they scan bytes (`FrameText`) rather than decode JSON.
typealias TextFrameSink = @Sendable (ByteBuffer) -> Void

/// A WebSocket client on bare NIO: no task and no async buffer per socket, so that 20,000 of
/// them and 20,000 frames a second cost the generator little. Pings are answered (the server's
/// keep-alive would close a silent socket); everything else is the caller's.
enum WebSocketPeer {
    /// Connects, upgrades and waits for the server's first text frame (Kefu's `hello`), which is
    /// not passed to `onText`. A refused handshake fails with its HTTP status.
    static func connect(
        _ target: WebSocketTarget, on eventLoop: any EventLoop, from localAddress: SocketAddress? = nil,
        onText: @escaping TextFrameSink, onClose: @escaping @Sendable () -> Void = {}
    ) -> EventLoopFuture<any Channel> {
        let hello = eventLoop.makePromise(of: Void.self)
        let request = target.upgradeRequest
        var bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(30))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let peer = FrameHandler(hello: hello, onText: onText, onClose: onClose)
                    try channel.pipeline.syncOperations.addHandler(UpgradeHandshake(request: request, hello: hello, peer: peer))
                }
            }
        if let localAddress { bootstrap = bootstrap.bind(to: localAddress) }
        let connected = bootstrap.connect(host: target.host, port: target.port)
        connected.whenFailure { hello.fail($0) }
        return connected.flatMap { channel in hello.futureResult.map { channel } }
    }

    static func send(_ text: String, on channel: any Channel) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
    }
}

/// Writes the upgrade request, reads the answer's head, and on `101` hands the connection to
/// the frame codec and the `FrameHandler` (bytes after the head are frames already).
private final class UpgradeHandshake: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: String
    private let hello: EventLoopPromise<Void>
    private let peer: FrameHandler
    private var received: ByteBuffer?

    init(request: String, hello: EventLoopPromise<Void>, peer: FrameHandler) {
        self.request = request
        self.hello = hello
        self.peer = peer
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.setOrWriteBuffer(&bytes)
        guard var head = received, let end = FrameText.offset(of: FrameText.headEnd, in: head) else { return }
        let statusLine = head.getString(at: head.readerIndex, length: end)?.split(separator: "\r\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.map(String.init) ?? "?"
        guard status == "101" else {
            hello.fail(LoadError.refused("HTTP \(status)"))
            context.close(promise: nil)
            return
        }
        head.moveReaderIndex(forwardBy: end + FrameText.headEnd.count)
        do {
            try context.pipeline.syncOperations.addHandlers(
                [WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)), peer], position: .after(self))
        } catch {
            hello.fail(error)
            context.close(promise: nil)
            return
        }
        if head.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(head)) }
        received = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        hello.fail(LoadError.failed("closed during the WebSocket handshake"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        hello.fail(error)
        context.close(promise: nil)
    }
}

/// The upgraded socket: the first text frame completes the connection, later ones go to the
/// sink; pings are answered, a close frame closes.
private final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var hello: EventLoopPromise<Void>?
    private let onText: TextFrameSink
    private let onClose: @Sendable () -> Void

    init(hello: EventLoopPromise<Void>, onText: @escaping TextFrameSink, onClose: @escaping @Sendable () -> Void) {
        self.hello = hello
        self.onText = onText
        self.onClose = onClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if let hello {
                self.hello = nil
                hello.succeed()
            } else {
                onText(frame.unmaskedData)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        hello?.fail(LoadError.failed("closed before the first frame"))
        hello = nil
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Byte scans over JSON frames whose shape the generator knows (its own ids, Kefu's field names).
enum FrameText {
    static let headEnd = Array("\r\n\r\n".utf8)
    static let clientMsgId = Array(#""clientMsgId":""#.utf8)
    static let ackType = Array(#""type":"ack""#.utf8)
    static let errorType = Array(#""type":"error""#.utf8)

    /// Offset from the reader index of the first `needle`, or nil.
    static func offset(of needle: [UInt8], in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress, bytes.count >= needle.count else { return nil }
            return needle.withUnsafeBytes { key -> Int? in
                // memchr for the first byte, memcmp for the rest (Glibc's memmem is not imported).
                let last = bytes.count - key.count
                var from = 0
                while from <= last {
                    guard let hit = memchr(base + from, Int32(key[0]), last - from + 1) else { return nil }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(hit, key.baseAddress!, key.count) == 0 { return at }
                    from = at + 1
                }
                return nil
            }
        }
    }

    static func contains(_ needle: [UInt8], in buffer: ByteBuffer) -> Bool { offset(of: needle, in: buffer) != nil }

    /// The JSON string after `key` (which ends with the value's opening quote); the generator's
    /// own values carry no escapes.
    static func value(after key: [UInt8], in buffer: ByteBuffer) -> ByteBuffer? {
        guard let start = offset(of: key, in: buffer) else { return nil }
        let from = start + key.count
        guard let rest = buffer.getSlice(at: buffer.readerIndex + from, length: buffer.readableBytes - from),
            let end = offset(of: [UInt8(ascii: "\"")], in: rest)
        else { return nil }
        return rest.getSlice(at: rest.readerIndex, length: end)
    }

    /// The generator's message id `m<step>-<visitor>-<number>` in a frame's `clientMsgId`.
    static func messageTag(in buffer: ByteBuffer) -> MessageTag? {
        guard let start = offset(of: clientMsgId, in: buffer) else { return nil }
        return buffer.withUnsafeReadableBytes { bytes -> MessageTag? in
            var index = start + clientMsgId.count
            guard index < bytes.count, bytes[index] == UInt8(ascii: "m") else { return nil }
            index += 1
            var numbers: [Int] = []
            var value = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= 48 && byte <= 57 {
                    value = value * 10 + Int(byte - 48)
                } else if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "\"") {
                    numbers.append(value)
                    value = 0
                    if byte == UInt8(ascii: "\"") { break }
                } else {
                    return nil
                }
                index += 1
            }
            guard numbers.count == 3 else { return nil }
            return MessageTag(step: numbers[0], visitor: numbers[1], number: numbers[2])
        }
    }
}

/// Which message a frame is about: the ramp step it was sent in, its visitor, its place.
struct MessageTag: Sendable, Equatable {
    let step: Int
    let visitor: Int
    let number: Int

    var clientMsgId: String { "m\(step)-\(visitor)-\(number)" }
}
