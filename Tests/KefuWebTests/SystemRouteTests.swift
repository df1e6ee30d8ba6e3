import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuWeb
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
