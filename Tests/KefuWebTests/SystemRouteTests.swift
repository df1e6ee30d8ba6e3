import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuWeb
import NIOCore
import Testing

@Suite struct SystemRouteTests {
    @Test func healthzAnswersWhenTheDatabaseDoes() async throws {
        try await TestApp.run { client, _ in
            let response = try await client.json(.get, "/healthz")
            #expect(response.status == .ok)
            #expect(response.object["status"] as? String == "ok")
            #expect(response.headers[.init("X-Request-Id")!] != nil)
        }
    }

    @Test func unknownRoutesAreProblems() async throws {
        try await TestApp.run { client, _ in
            let response = try await client.json(.get, "/api/v1/nowhere")
            #expect(response.status == .notFound)
            #expect(response.code == "route_not_found")
        }
    }

    /// A path that exists for other methods is 405 with `Allow`, not "no such route".
    @Test func aWrongMethodOnARealPathIs405WithAllow() async throws {
        try await TestApp.run { client, _ in
            let token = try await client.login()
            let wrong = try await client.json(.delete, "/api/v1/inboxes", token: token)
            #expect(wrong.status == .methodNotAllowed && wrong.code == "method_not_allowed")
            #expect(wrong.headers[.allow] == "GET, POST")
            let templated = try await client.json(.put, "/api/v1/conversations/00000000-0000-0000-0000-000000000000/messages", token: token)
            #expect(templated.status == .methodNotAllowed && templated.headers[.allow] == "GET, POST", "\(templated.text)")
            #expect(try await client.json(.delete, "/api/v1/nowhere", token: token).code == "route_not_found")
            // A literal segment wins over a parameter, as in the router.
            let literal = try await client.json(.patch, "/api/v1/accounts/sessions", token: token)
            #expect(literal.status == .methodNotAllowed && literal.headers[.allow] == "POST", "\(literal.headers)")
        }
    }

    /// A login POST whose last headers and body are `rest`, over a raw socket: everything the
    /// server answers until it closes.
    static func exchange(port: Int, _ rest: String) async throws -> String {
        try await WebSocketRefusalTests.connect(port: port).executeThenClose { inbound, outbound in
            try await outbound.write(
                ByteBuffer(
                    string: "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n" + rest))
            var received = ""
            do { for try await chunk in inbound { received += String(buffer: chunk) } } catch {}
            return received
        }
    }

    /// A body that is not valid HTTP (a malformed chunk size) is unreadable, not too large.
    @Test func aMalformedChunkIsAnUnreadableBody() async throws {
        try await TestApp.run(live: true) { client, _ in
            let port = try #require(client.port)
            let answer = try await Self.exchange(port: port, "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(!answer.contains("body_too_large"), "\(answer)")
            // A transfer coding beside chunked is not read as plain chunked: 501.
            let coded = try await Self.exchange(port: port, "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
            #expect(coded.hasPrefix("HTTP/1.1 501") && coded.contains("transfer_coding_not_supported"), "\(coded)")
        }
    }

    /// openapi.yaml and the router must describe the same routes, in both directions.
    @Test func openAPIDocumentMatchesTheRoutes() async throws {
        try await TestApp.run { client, app in
            let response = try await client.json(.get, "/openapi.yaml")
            #expect(response.status == .ok)
            let documented = OpenAPIPaths.parse(response.text)
            let registered = Set(app.catalog.all.map { "\($0.method) \($0.path)" })
            #expect(!registered.isEmpty)
            #expect(registered.subtracting(documented).sorted() == [], "routes missing from openapi.yaml")
            #expect(documented.subtracting(registered).sorted() == [], "documented routes that do not exist")
        }
    }
}

/// Reads "METHOD PATH" pairs from the `paths:` section of an OpenAPI YAML document by indentation.
enum OpenAPIPaths {
    static func parse(_ yaml: String) -> Set<String> {
        var result = Set<String>()
        var inPaths = false
        var currentPath: String?
        let methods: Set<String> = ["get", "post", "put", "patch", "delete", "head", "options"]
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.hasPrefix(" "), !line.isEmpty { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), let path = currentPath {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if methods.contains(String(key)) { result.insert("\(key) \(path)") }
            }
        }
        return result
    }
}
