import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP answer: its status and body.
struct HTTPAnswer: Sendable {
    let status: Int
    let body: ByteBuffer

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }
}

/// One kept-alive HTTP/1.1 connection for the setup requests (sign-in, widget sessions): not
/// the measured path, so requests go one at a time.
final class HTTPConnection: Sendable {
    private let channel: any Channel
    private let host: String

    private init(channel: any Channel, host: String) {
        self.channel = channel
        self.host = host
    }

    static func open(host: String, port: Int, group: any EventLoopGroup) async throws -> HTTPConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ExchangeHandler())
                }
            }
            .connect(host: host, port: port).get()
        return HTTPConnection(channel: channel, host: "\(host):\(port)")
    }

    func call(_ method: HTTPMethod, _ uri: String, json: [String: Any]? = nil, headers extra: [(String, String)] = []) async throws -> HTTPAnswer {
        var headers = HTTPHeaders([("Host", host)] + extra)
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers.add(name: "Content-Type", value: "application/json")
        }
        headers.add(name: "Content-Length", value: "\(body?.readableBytes ?? 0)")
        let answer = channel.eventLoop.makePromise(of: HTTPAnswer.self)
        let exchange = Exchange(head: HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers), body: body, answer: answer)
        channel.writeAndFlush(exchange).cascadeFailure(to: answer)
        return try await answer.futureResult.get()
    }

    func close() { channel.close(promise: nil) }
}

private struct Exchange: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer?
    let answer: EventLoopPromise<HTTPAnswer>
}

/// Writes a request and completes its promise with the answer; answers come in request order.
private final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting = CircularBuffer<EventLoopPromise<HTTPAnswer>>()
    private var status = 0
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        waiting.append(exchange.answer)
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            waiting.popFirst()?.succeed(HTTPAnswer(status: status, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        while let promise = waiting.popFirst() { promise.fail(LoadError.failed("the HTTP connection closed")) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// What a load run needs from the demo data: agents' tokens, the webchat inbox, visitors'
/// widget sessions. Visitors come from many addresses, as on a real site behind a proxy (the
/// server runs with KEFU_TRUST_PROXY=true): one address may start only so many chats.
struct KefuSetup {
    let host: String
    let port: Int
    let group: any EventLoopGroup

    static let agentCredentials = [("admin@kefu.example", "kefu-demo-admin"), ("agent@kefu.example", "kefu-demo-agent")]

    /// A visitor's address, distinct per visitor number.
    static func visitorAddress(_ number: Int) -> String { "10.\(number >> 16 & 255).\(number >> 8 & 255).\(number & 255)" }

    /// One sign-in per feed: a console session keeps at most 8 feeds open, so ten feeds need
    /// more than one session. The demo has two agents; feeds alternate between them.
    func agentTokens(_ count: Int) async throws -> [String] {
        let http = try await HTTPConnection.open(host: host, port: port, group: group)
        defer { http.close() }
        var tokens: [String] = []
        for index in 0..<count {
            let (email, password) = Self.agentCredentials[index % Self.agentCredentials.count]
            let answer = try await http.call(
                .POST, "/api/v1/auth/login", json: ["email": email, "password": password],
                headers: [("X-Forwarded-For", "192.0.2.\(index % 250 + 1)")])
            guard answer.status == 200, let token = answer.json["token"] as? String else {
                throw LoadError.failed("sign-in as \(email) answered \(answer.status): \(String(buffer: answer.body))")
            }
            tokens.append(token)
        }
        return tokens
    }

    func webchatInbox(token: String) async throws -> String {
        let http = try await HTTPConnection.open(host: host, port: port, group: group)
        defer { http.close() }
        let answer = try await http.call(.GET, "/api/v1/inboxes", headers: [("Authorization", "Bearer \(token)")])
        let items = answer.json["items"] as? [[String: Any]] ?? []
        guard let inbox = items.first(where: { $0["kind"] as? String == "webchat" })?["id"] as? String else {
            throw LoadError.failed("the demo data has no webchat inbox (GET /api/v1/inboxes answered \(answer.status))")
        }
        return inbox
    }

    /// `count` widget sessions over `parallel` connections; their tokens, in visitor order.
    func widgetSessions(_ count: Int, inbox: String, parallel: Int, firstVisitor: Int = 0) async throws -> [String] {
        try await withThrowingTaskGroup(of: [(Int, String)].self) { group in
            for lane in 0..<parallel {
                group.addTask {
                    let http = try await HTTPConnection.open(host: host, port: port, group: self.group)
                    var made: [(Int, String)] = []
                    for visitor in stride(from: lane, to: count, by: parallel) {
                        let number = firstVisitor + visitor
                        let answer = try await http.call(
                            .POST, "/api/v1/widget/sessions", json: ["inboxId": inbox, "name": "Visitor \(number)"],
                            headers: [("X-Forwarded-For", Self.visitorAddress(number))])
                        guard answer.status == 201, let token = answer.json["sessionToken"] as? String else {
                            throw LoadError.failed("widget session \(number) answered \(answer.status): \(String(buffer: answer.body))")
                        }
                        made.append((visitor, token))
                    }
                    http.close()
                    return made
                }
            }
            var tokens = [String](repeating: "", count: count)
            for try await made in group { for (visitor, token) in made { tokens[visitor] = token } }
            return tokens
        }
    }

    func widgetTarget(token: String) -> WebSocketTarget {
        WebSocketTarget(host: host, port: port, path: "/api/v1/widget/ws?token=\(token)")
    }

    func agentTarget(token: String) -> WebSocketTarget {
        WebSocketTarget(host: host, port: port, path: "/api/v1/agent/ws", headers: [("Authorization", "Bearer \(token)")])
    }
}
