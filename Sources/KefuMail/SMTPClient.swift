import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Where outbound mail goes: `KEFU_SMTP_RELAY`, e.g. `smtp://user:pass@host:587`,
/// `smtp+starttls://…` (STARTTLS required) or `smtps://…` (TLS from the first byte).
/// `?insecure=1` skips certificate checks (a self-signed relay in development only).
public struct SMTPRelay: Sendable, Equatable {
    public enum Security: String, Sendable {
        case plain
        case startTLS
        case tls
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    public var verifyCertificates: Bool

    public init(host: String, port: Int, security: Security = .plain, username: String? = nil, password: String? = nil, verifyCertificates: Bool = true) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.verifyCertificates = verifyCertificates
    }

    public init?(url text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), let host = components.host,
            !host.isEmpty
        else { return nil }
        switch scheme {
        case "smtp": security = .plain
        case "smtp+starttls": security = .startTLS
        case "smtps": security = .tls
        default: return nil
        }
        self.host = host
        port = components.port ?? (security == .tls ? 465 : 25)
        username = components.percentEncodedUser?.removingPercentEncoding
        password = components.percentEncodedPassword?.removingPercentEncoding
        verifyCertificates = components.queryItems?.first { $0.name == "insecure" }?.value != "1"
    }
}

/// Why a send did not go through.
public enum SMTPSendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A 4xx reply, a dropped connection or a timeout: try again later.
    case temporary(String)
    /// A 5xx reply: the relay will never take this mail.
    case permanent(String)

    public var description: String {
        switch self {
        case .temporary(let text), .permanent(let text): text
        }
    }
}

/// A small SMTP client on SwiftNIO for handing mail to a relay: EHLO, STARTTLS, AUTH PLAIN or
/// LOGIN, MAIL/RCPT/DATA with dot-stuffing.
public struct SMTPClient: Sendable {
    let relay: SMTPRelay
    let hostname: String
    let timeout: Duration

    public init(relay: SMTPRelay, hostname: String, timeout: Duration = .seconds(60)) {
        self.relay = relay
        self.hostname = hostname
        self.timeout = timeout
    }

    /// Sends one message; returns the relay's final reply text (its queue id).
    public func send(from: String, to recipients: [String], message: [UInt8]) async throws(SMTPSendError) -> String {
        do {
            return try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask { try await deliver(from: from, to: recipients, message: message) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw SMTPSendError.temporary("timed out after \(timeout)")
                }
                let result = try await group.next()!
                group.cancelAll()
                return result
            }
        } catch let error as SMTPSendError {
            throw error
        } catch {
            throw .temporary("connection to \(relay.host):\(relay.port) failed: \(error)")
        }
    }

    struct Reply {
        var code: Int
        var lines: [String]
        var text: String { "\(code) " + lines.joined(separator: " / ") }
    }

    private func tlsContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if !relay.verifyCertificates { configuration.certificateVerification = .none }
        return try NIOSSLContext(configuration: configuration)
    }

    private func deliver(from: String, to recipients: [String], message: [UInt8]) async throws -> String {
        let implicitTLS = relay.security == .tls ? try tlsContext() : nil
        // SNI takes a name, never an address literal.
        let host: String? = relay.host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? nil : relay.host
        let relayName = "\(relay.host):\(relay.port)"
        let implicitHandshake = NIOLockedValueBox<EventLoopFuture<Void>?>(nil)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(15))
            .connect(host: relay.host, port: relay.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: implicitTLS, serverHostname: host))
                        let outcome = TLSHandshakeOutcome(relay: relayName, promise: channel.eventLoop.makePromise())
                        implicitHandshake.withLockedValue { $0 = outcome.result }
                        try channel.pipeline.syncOperations.addHandler(outcome)
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder(maxLength: 64 << 10)))
                    return try NIOAsyncChannel<SMTPLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            if let handshake = implicitHandshake.withLockedValue({ $0 }) { try await handshake.get() }
            func read() async throws -> Reply {
                var collected: [String] = []
                while true {
                    guard let item = try await lines.next() else { throw SMTPSendError.temporary("connection closed by \(relay.host)") }
                    guard case .line(let bytes) = item else { continue }
                    let text = String(decoding: bytes, as: UTF8.self)
                    guard text.count >= 3, let code = Int(text.prefix(3)) else { throw SMTPSendError.temporary("bad reply: \(text)") }
                    collected.append(String(text.dropFirst(4)))
                    if text.count == 3 || text[text.index(text.startIndex, offsetBy: 3)] != "-" { return Reply(code: code, lines: collected) }
                }
            }
            func expect(_ reply: Reply, _ codes: ClosedRange<Int>) throws -> Reply {
                if codes.contains(reply.code) { return reply }
                if (400..<500).contains(reply.code) { throw SMTPSendError.temporary(reply.text) }
                throw SMTPSendError.permanent(reply.text)
            }
            func command(_ text: String, _ codes: ClosedRange<Int> = 250...259) async throws -> Reply {
                try await outbound.write(ByteBuffer(string: text + "\r\n"))
                return try expect(try await read(), codes)
            }

            _ = try expect(try await read(), 220...220)
            var extensions = try await command("EHLO \(hostname)").lines.map { $0.uppercased() }
            if relay.security == .startTLS {
                guard extensions.contains(where: { $0.hasPrefix("STARTTLS") }) else {
                    throw SMTPSendError.temporary("\(relay.host) does not offer STARTTLS")
                }
                _ = try await command("STARTTLS", 220...220)
                let context = try tlsContext()
                let outcome = TLSHandshakeOutcome(relay: relayName, promise: channel.channel.eventLoop.makePromise())
                let handshake = outcome.result
                try await StartTLS.switchOver(
                    channel.channel, tls: { try NIOSSLClientHandler(context: context, serverHostname: host) },
                    then: { try $0.pipeline.syncOperations.addHandler(outcome, position: .after($1)) })
                // A reply read before the switch was plaintext behind the 220: possibly injected.
                guard case .tlsStarted = try await lines.next() else {
                    throw SMTPSendError.temporary("\(relay.host) sent plaintext after agreeing to STARTTLS")
                }
                // The handshake's own failure (an untrusted certificate…) is the reason to report,
                // not whatever touches the closed connection next.
                try await handshake.get()
                extensions = try await command("EHLO \(hostname)").lines.map { $0.uppercased() }
            }
            if let username = relay.username, let password = relay.password {
                let auth = extensions.first { $0.hasPrefix("AUTH") } ?? ""
                if auth.contains("PLAIN") || !auth.contains("LOGIN") {
                    let token = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                    _ = try await command("AUTH PLAIN \(token)", 235...235)
                } else {
                    _ = try await command("AUTH LOGIN", 334...334)
                    _ = try await command(Data(username.utf8).base64EncodedString(), 334...334)
                    _ = try await command(Data(password.utf8).base64EncodedString(), 235...235)
                }
            }
            let size = extensions.contains { $0.hasPrefix("SIZE") } ? " SIZE=\(message.count)" : ""
            let eightBit = extensions.contains("8BITMIME") && message.contains { $0 >= 0x80 } ? " BODY=8BITMIME" : ""
            _ = try await command("MAIL FROM:<\(from)>\(size)\(eightBit)")
            for recipient in recipients { _ = try await command("RCPT TO:<\(recipient)>") }
            _ = try await command("DATA", 354...354)
            try await outbound.write(ByteBuffer(bytes: Self.dotStuffed(message)))
            let accepted = try expect(try await read(), 250...259)
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
            return accepted.text
        }
    }

    /// The message with CRLF line ends, lines starting with "." doubled, ending in CRLF.CRLF.
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + 64)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if byte == 0x0A && previous != 0x0D { output.append(0x0D) }  // bare LF → CRLF
            if atLineStart && byte == UInt8(ascii: ".") { output.append(UInt8(ascii: ".")) }
            output.append(byte)
            atLineStart = byte == 0x0A
            previous = byte
        }
        if !atLineStart { output += [0x0D, 0x0A] }
        output += Array(".\r\n".utf8)
        return output
    }
}

/// Behind a client's TLS handler: settles when the handshake completes or fails, so a failure
/// is reported as what it is, in words an operator can act on.
final class TLSHandshakeOutcome: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny

    let relay: String
    /// Settles once; kept outside the pipeline, which forgets the handler when the channel closes.
    let result: EventLoopFuture<Void>
    private var promise: EventLoopPromise<Void>?

    init(relay: String, promise: EventLoopPromise<Void>) {
        self.relay = relay
        self.result = promise.futureResult
        self.promise = promise
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise?.fail(SMTPSendError.temporary("connection to \(relay) closed during the TLS handshake"))
        promise = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            promise?.succeed()
            promise = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise?.fail(SMTPSendError.temporary(Self.explain(error, relay: relay)))
        promise = nil
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(SMTPSendError.temporary("connection to \(relay) closed during the TLS handshake"))
        promise = nil
        context.fireChannelInactive()
    }

    /// BoringSSL's reason without its source paths: "CERTIFICATE_VERIFY_FAILED" and the like.
    static func explain(_ error: any Error, relay: String) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return "TLS handshake with \(relay) failed: its certificate is not trusted (self-signed, expired or for another name). "
                + "Give the relay a trusted certificate; only a development relay may be used with ?insecure=1 in KEFU_SMTP_RELAY"
        }
        let reason = text.range(of: "OPENSSL_internal:").map { text[$0.upperBound...].prefix { $0 != " " && $0 != ")" && $0 != "," } }
        return "TLS handshake with \(relay) failed" + (reason.map { ": \($0)" } ?? "")
    }
}
