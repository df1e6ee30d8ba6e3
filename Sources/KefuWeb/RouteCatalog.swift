import Foundation
import HTTPTypes
import Hummingbird
import KefuCore
import Synchronization

/// Records every API route as it is registered, so a test can compare the running router with
/// `openapi.yaml` in both directions and neither can drift from the other, and which routes are
/// for agents of a role and above, so a test can try each of them with a lower role.
public final class RouteCatalog: Sendable {
    public struct Entry: Hashable, Sendable, CustomStringConvertible {
        public let method: String
        public let path: String
        public var description: String { "\(method) \(path)" }
    }

    private let entries = Mutex<[Entry]>([])
    private let roles = Mutex<[Entry: AgentRole]>([:])

    public init() {}

    func record(_ method: HTTPRequest.Method, _ path: String, role: AgentRole? = nil) {
        let entry = Entry(method: method.rawValue.lowercased(), path: path)
        entries.withLock { $0.append(entry) }
        if let role { roles.withLock { $0[entry] = role } }
    }

    public var all: Set<Entry> { entries.withLock { Set($0) } }

    /// The methods registered for the route the router takes for `path`, upper-case and
    /// sorted; empty when no route has this path. "{id}" matches any one segment, and, as in
    /// the router, a literal segment wins over a parameter ("/accounts/sessions" is not
    /// "/accounts/{id}").
    public func methods(matching path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let matching = entries.withLock { entries in
            entries.compactMap { entry -> (entry: Entry, literals: [Bool])? in
                let template = entry.path.split(separator: "/", omittingEmptySubsequences: false)
                guard template.count == segments.count else { return nil }
                var literals: [Bool] = []
                for (pattern, segment) in zip(template, segments) {
                    if pattern.hasPrefix("{") && pattern.hasSuffix("}") && !segment.isEmpty {
                        literals.append(false)
                    } else if pattern == segment {
                        literals.append(true)
                    } else {
                        return nil
                    }
                }
                return (entry, literals)
            }
        }
        // The most specific template: literal before parameter, segment by segment.
        guard let best = matching.map(\.literals).max(by: { $0.lexicographicallyPrecedes($1) { !$0 && $1 } }) else { return [] }
        return Set(matching.filter { $0.literals == best }.map { $0.entry.method.uppercased() }).sorted()
    }

    /// The routes only agents of a role (and above) may call.
    public var restricted: [Entry: AgentRole] { roles.withLock { $0 } }
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

    fileprivate func on<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, role: AgentRole,
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) where Context == AuthenticatedContext {
        catalog.record(method, full(path), role: role)
        // Before the handler reads anything: a caller without the role gets 403 whatever the
        // body, never a validation error that would tell them what the route takes.
        group.on(RouterPath(path), method: method) { request, context in
            try context.require(role)
            return try await handler(request, context)
        }
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

extension CatalogedGroup where Context == AuthenticatedContext {
    func get<Output: ResponseGenerator>(
        _ path: String, role: AgentRole, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.get, path, role: role, use: handler)
    }
    func post<Output: ResponseGenerator>(
        _ path: String, role: AgentRole, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.post, path, role: role, use: handler)
    }
    func put<Output: ResponseGenerator>(
        _ path: String, role: AgentRole, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.put, path, role: role, use: handler)
    }
    func patch<Output: ResponseGenerator>(
        _ path: String, role: AgentRole, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.patch, path, role: role, use: handler)
    }
    func delete<Output: ResponseGenerator>(
        _ path: String, role: AgentRole, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.delete, path, role: role, use: handler)
    }
}
