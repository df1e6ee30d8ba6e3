import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Gives a refused WebSocket handshake the answer the router made for it.
///
/// The router decides on an upgrade like on any request (no session: `401 unauthenticated`,
/// another site's origin: `403 forbidden`, as problem+json), but hummingbird-websocket throws that
/// response away and writes a bare `400` with an empty body whenever it does not upgrade
/// (`HTTP1WebSocketUpgradeChannel.writeFailedUpgrade`). For a handshake the router refused, this
/// puts a handler into the connection's pipeline, just above NIO's HTTP response encoder, that
/// swaps that bare 400 for the router's response; the connection then closes as before.
struct WebSocketRefusalMiddleware: RouterMiddleware {
    typealias Context = KefuRequestContext

    /// A refusal is a short problem document; anything longer is cut off rather than buffered.
    static let maxBody = 64 << 10

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        // Only the upgrade path sees this header (plain HTTP requests carrying it are redirected
        // by hummingbird-websocket before they reach the router); 200 is its "upgrade".
        guard request.headers[.upgrade]?.lowercased() == "websocket", response.status != .ok else { return response }
        let collector = BodyCollector()
        try await response.body.write(collector)
        var body = collector.buffer
        if body.readableBytes > Self.maxBody { body = body.getSlice(at: body.readerIndex, length: Self.maxBody) ?? body }
        response.body = .init(byteBuffer: body)
        var head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status.code))
        for field in response.headers where field.name != .contentLength && field.name != .transferEncoding && field.name != .connection {
            head.headers.add(name: field.name.rawName, value: field.value)
        }
        head.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        head.headers.replaceOrAdd(name: "connection", value: "close")
        let channel = context.connection
        let refusal = head
        do {
            try await channel.eventLoop.submit {
                let pipeline = channel.pipeline.syncOperations
                let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
                try pipeline.addHandler(FailedUpgradeResponder(head: refusal, body: body), position: .after(encoder))
            }.get()
        } catch {
            // The client still gets the bare 400; say why it is not the problem document.
            context.logger.warning("could not answer a refused WebSocket handshake in full", metadata: ["error": "\(error)"])
        }
        return response
    }
}

/// Collects a response body that is already in memory (a problem document).
private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Replaces the one bare answer written for a failed upgrade with the router's refusal.
final class FailedUpgradeResponder: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        case waiting
        case replacing
        case done
    }

    let head: HTTPResponseHead
    let body: ByteBuffer
    var state = State.waiting

    init(head: HTTPResponseHead, body: ByteBuffer) {
        self.head = head
        self.body = body
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch (state, unwrapOutboundIn(data)) {
        // The next answer on this connection is the failed upgrade's (400 today, whatever a
        // later hummingbird-websocket writes); the connection closes after it.
        case (.waiting, .head):
            state = .replacing
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case (.replacing, .body):
            promise?.succeed(())  // the bare answer has none; ours follows at its end
        case (.replacing, .end(let trailers)):
            state = .done
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.write(wrapOutboundOut(.end(trailers)), promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }
}
