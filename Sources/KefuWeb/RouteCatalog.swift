import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Records every API route as it is registered, so a test can compare the running router with
/// `openapi.yaml` in both directions and neither can drift from the other.
public final class RouteCatalog: Sendable {
    public struct Entry: Hashable, Sendable, CustomStringConvertible {
        public let method: String
        public let path: String
        public var description: String { "\(method) \(path)" }
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    func record(_ method: HTTPRequest.Method, _ path: String) {
        entries.withLock { $0.append(Entry(method: method.rawValue.lowercased(), path: path)) }
    }

    public var all: Set<Entry> { entries.withLock { Set($0) } }
}

/// A router group that documents what it registers. Paths use OpenAPI's `{name}` syntax,
/// which Hummingbird also understands.
struct CatalogedGroup<Context: RequestContext> {
    let group: RouterGroup<Context>
    let prefix: String
    let catalog: RouteCatalog

    private func full(_ path: String) -> String { path.isEmpty ? prefix : "\(prefix)/\(path)" }

    func on<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String,
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        catalog.record(method, full(path))
        group.on(RouterPath(path), method: method, use: handler)
    }

    func get<Output: ResponseGenerator>(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Output) {
        on(.get, path, use: handler)
    }
    func post<Output: ResponseGenerator>(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Output) {
        on(.post, path, use: handler)
    }
    func put<Output: ResponseGenerator>(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Output) {
        on(.put, path, use: handler)
    }
    func patch<Output: ResponseGenerator>(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Output) {
        on(.patch, path, use: handler)
    }
    func delete<Output: ResponseGenerator>(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> Output) {
        on(.delete, path, use: handler)
    }
}
