import Foundation

/// The work ran past its time limit (and was cancelled).
public struct TimeLimitExceeded: Error, Equatable, Sendable {
    public let limit: Duration
}

/// Runs `work` with a time limit over all of it (AsyncHTTPClient's deadline stops at the
/// response head: a peer that sends headers and then trickles its body would otherwise hold the
/// caller forever). The work is cancelled when the limit passes; structured, nothing outlives it.
func withTimeLimit<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeLimitExceeded(limit: limit)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TimeLimitExceeded(limit: limit) }
        return first
    }
}
