/// Runs a last piece of work (giving back a lease, removing this instance's row) to its end even
/// when the caller's task was cancelled: in a cancelled task a database call gives up at once
/// (postgres-nio does not wait for a pooled connection), and the others would wait for the
/// leftover to age out.
public func evenIfCancelled<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task { try await body() }.value
}
