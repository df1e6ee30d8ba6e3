import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import KefuCore
import Logging
import Metrics
import NIOCore

/// How many HTTP connections Kefu keeps and how long it waits for them (docs/security.md,
/// "Connections").
public struct HTTPConnectionLimits: Sendable, Equatable {
    /// Open connections in the process; kept below the descriptor limit.
    public var maxConnections: Int
    /// Open connections from one client address; nil behind a trusted proxy (every connection
    /// then comes from the proxy, which limits its clients itself).
    public var maxConnectionsPerAddress: Int?
    /// A connection with no request in progress is closed after this long.
    public var idleTimeout: Duration
    /// A request that stops arriving for this long is answered 408 and closed.
    public var requestTimeout: Duration

    public init(maxConnections: Int = 4096, maxConnectionsPerAddress: Int? = 256, idleTimeout: Duration = .seconds(60), requestTimeout: Duration = .seconds(30)) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrades (as `.http1WebSocketUpgrade`), every connection admitted
    /// by `gate` and watched by a `ConnectionDeadlineHandler`.
    static func guardedHTTP1WebSocket(
        webSocketRouter: Router<KefuRequestContext>, gate: ConnectionGate, limits: HTTPConnectionLimits
    ) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        return .init { responder in
            GuardedChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder,
                    // A widget message (up to 20,000 characters, sent by browsers as one frame)
                    // fits a frame; the library's default of 16 KiB closed such sockets (1009).
                    configuration: .init(
                        http1: .init(additionalChannelHandlers: [HTTPExchangeObserver()]), ws: .init(maxFrameSize: WidgetSocket.maxFrameBytes))),
                gate: gate, idleTimeout: TimeAmount(limits.idleTimeout), requestTimeout: TimeAmount(limits.requestTimeout))
        }
    }
}

/// Admits each accepted connection through the gate (or refuses it with a 503 problem), puts
/// its `ConnectionDeadlineHandler` in front, then sets the connection up as `inner` would.
struct GuardedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let gate: ConnectionGate
    let idleTimeout: TimeAmount
    let requestTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let address = ClientNetwork.key(channel.remoteAddress?.ipAddress)
        let (admission, evicted) = gate.admit(address: address, evict: { channel.pipeline.fireUserInboundEventTriggered(EvictConnection()) })
        switch admission {
        case .success:
            Counter(label: "kefu_http_connections_total", dimensions: [("outcome", "admitted")]).increment()
            if evicted { Counter(label: "kefu_http_connections_total", dimensions: [("outcome", "evicted")]).increment() }
        case .failure(let reason):
            Counter(label: "kefu_http_connections_total", dimensions: [("outcome", "refused_\(reason.rawValue)")]).increment()
            logger.warning("connection refused", metadata: ["client": "\(address)", "cap": "\(reason.rawValue)"])
        }
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionDeadlineHandler(admission: admission, idleTimeout: idleTimeout, requestTimeout: requestTimeout), position: .first)
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(UnreadableRequestAnswer())
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
