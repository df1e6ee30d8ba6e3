import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import NIOCore
import NIOPosix
import Testing

/// Refused WebSocket handshakes answer the documented problem (docs/widget-protocol.md), not the
/// bare, empty 400 hummingbird-websocket writes for every failed upgrade. Over a real socket: the
/// router test client never goes through the upgrade path.
@Suite struct WebSocketRefusalTests {
    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: String
        var problem: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    static func connect(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    }

    static func upgradeRequest(port: Int, path: String, headers: [String: String]) -> ByteBuffer {
        var lines = [
            "GET \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
        ]
        lines += headers.map { "\($0.key): \($0.value)" }
        return ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n\r\n")
    }

    /// Sends a WebSocket handshake and reads the answer: to the end for a refusal (the server
    /// closes), to the blank line for an upgrade.
    static func handshake(port: Int, path: String, headers: [String: String] = [:]) async throws -> Answer {
        let raw = try await connect(port: port).executeThenClose { inbound, outbound in
            try await outbound.write(upgradeRequest(port: port, path: path, headers: headers))
            var received = ""
            do {
                for try await chunk in inbound {
                    received += String(buffer: chunk)
                    if received.hasPrefix("HTTP/1.1 101"), received.contains("\r\n\r\n") { break }
                }
            } catch {}
            return received
        }
        let parts = raw.components(separatedBy: "\r\n\r\n")
        var head = parts[0].components(separatedBy: "\r\n")
        let status = Int(head.removeFirst().split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in head {
            let pair = line.split(separator: ":", maxSplits: 1)
            if pair.count == 2 { fields[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces) }
        }
        return Answer(status: status, headers: fields, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func refusedHandshakesAnswerTheDocumentedProblem() async throws {
        try await TestApp.run(live: true) { client, app in
            let port = try #require(client.port)
            func expectProblem(_ answer: Answer, _ status: Int, _ code: String, _ comment: Comment) {
                #expect(answer.status == status, comment)
                #expect(answer.headers["content-type"] == "application/problem+json", comment)
                #expect(answer.headers["content-length"] == String(answer.body.utf8.count), comment)
                #expect(answer.problem["code"] as? String == code && answer.problem["status"] as? Int == status, "\(comment): \(answer.body)")
            }

            // The visitor's socket: no token, an unknown one.
            expectProblem(try await Self.handshake(port: port, path: "/api/v1/widget/ws"), 401, "unauthenticated", "widget, no token")
            let unknown = try await Self.handshake(port: port, path: "/api/v1/widget/ws?token=nope", headers: ["Accept-Language": "zh-CN"])
            expectProblem(unknown, 401, "unauthenticated", "widget, unknown token")
            #expect(unknown.problem["detail"] as? String == "请先登录。")

            // The agents' feed: no session; a session from another site's page.
            expectProblem(try await Self.handshake(port: port, path: "/api/v1/agent/ws"), 401, "unauthenticated", "agent, no session")
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let foreign = try await Self.handshake(
                port: port, path: "/api/v1/agent/ws", headers: ["Cookie": browser.cookieHeader, "Origin": "https://evil.example"])
            expectProblem(foreign, 403, "forbidden", "agent, foreign origin")
            #expect(foreign.problem["detail"] as? String == "You are not allowed to do this.")

            // What is allowed still upgrades.
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (token, _) = try await client.widgetSession(inbox: chat.id)
            #expect(try await Self.handshake(port: port, path: "/api/v1/widget/ws?token=\(token)").status == 101)
            #expect(try await Self.handshake(port: port, path: "/api/v1/agent/ws", headers: ["Cookie": browser.cookieHeader]).status == 101)
            // And a plain request to a socket's address is still an ordinary problem.
            #expect(try await client.json(.get, "/api/v1/widget/ws?token=nope").code == "unauthenticated")
        }
    }

    /// The live feed carries every conversation: an agent who has not finished their account
    /// setup (the 2FA an admin requires, a one-time password) gets it no more than the API.
    @Test func theAgentFeedWaitsForTheAccountSetupLikeTheAPI() async throws {
        try await TestApp.run(live: true) { client, app in
            let port = try #require(client.port)
            var agent = ConsoleBrowser(client: client)
            try await agent.signIn(TestApp.agentEmail, TestApp.agentPassword)
            #expect(try await Self.handshake(port: port, path: "/api/v1/agent/ws", headers: ["Cookie": agent.cookieHeader]).status == 101)
            try await app.store.setSetting("security.require_agent_2fa", value: "true", audit: nil)
            let refused = try await Self.handshake(port: port, path: "/api/v1/agent/ws", headers: ["Cookie": agent.cookieHeader])
            #expect(refused.status == 403)
            #expect(refused.problem["code"] as? String == "two_factor_enrollment_required")
        }
    }

    /// Opens a WebSocket and keeps it open until the task is cancelled; `report` hears the
    /// handshake's status.
    static func holdOpen(port: Int, path: String, headers: [String: String] = [:], report: @escaping @Sendable (Int) -> Void) async throws {
        try await connect(port: port).executeThenClose { inbound, outbound in
            try await outbound.write(upgradeRequest(port: port, path: path, headers: headers))
            var received = ""
            var iterator = inbound.makeAsyncIterator()
            while let chunk = try await iterator.next() {
                received += String(buffer: chunk)
                if received.contains("\r\n\r\n") { break }
            }
            let upgraded = received.hasPrefix("HTTP/1.1 101")
            // Reported once the socket holds its place: the server sends its first frame
            // (hello) from there, and a busy machine must not let a tenth socket slip in between.
            while upgraded, received.components(separatedBy: "\r\n\r\n").last?.isEmpty != false, let chunk = try await iterator.next() {
                received += String(buffer: chunk)
            }
            report(Int(received.split(separator: " ").dropFirst().first ?? "") ?? 0)
            guard upgraded else { return }
            try? await Task.sleep(for: .seconds(120))
        }
    }

    /// One public visitor session once opened 3,500 sockets: now a few tabs' worth, per session.
    @Test func oneSessionKeepsAFewSocketsNotThousands() async throws {
        try await TestApp.run(live: true) { client, app in
            let port = try #require(client.port)
            let chat = try await app.store.createInbox(name: "Chat", kind: .webchat, audit: nil)
            let (token, _) = try await client.widgetSession(inbox: chat.id)
            var agent = ConsoleBrowser(client: client)
            try await agent.signIn()
            let limit = 8
            for (path, headers) in [("/api/v1/widget/ws?token=\(token)", [String: String]()), ("/api/v1/agent/ws", ["Cookie": agent.cookieHeader])] {
                let (opened, tell) = AsyncStream<Int>.makeStream()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<limit {
                        group.addTask { try await Self.holdOpen(port: port, path: path, headers: headers) { tell.yield($0) } }
                    }
                    var statuses: [Int] = []
                    for await status in opened {
                        statuses.append(status)
                        if statuses.count == limit { break }
                    }
                    #expect(statuses == Array(repeating: 101, count: limit), "\(path)")
                    let refused = try await Self.handshake(port: port, path: path, headers: headers.merging(["Accept-Language": "zh-CN"]) { $1 })
                    #expect(refused.status == 429, "\(path)")
                    #expect(refused.problem["code"] as? String == "too_many_sockets", "\(path): \(refused.body)")
                    #expect(refused.headers["retry-after"] != nil)
                    #expect((refused.problem["detail"] as? String)?.contains("标签页") == true)
                    group.cancelAll()
                }
                // Closed sockets give their places back.
                try await waitFor { try await Self.handshake(port: port, path: path, headers: headers).status == 101 }
            }
            // Another visitor was never affected.
            let (other, _) = try await client.widgetSession(inbox: chat.id)
            #expect(try await Self.handshake(port: port, path: "/api/v1/widget/ws?token=\(other)").status == 101)
        }
    }
}
