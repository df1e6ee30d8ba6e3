// Concurrent callers for the benchmark harness and the load executables alike.
import Foundation
import Synchronization

/// Hands out operation numbers to whichever caller is free.
public final class Ticket: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public func take() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// Throughput and per-operation latency of one measured run.
public struct LoadFigures: Sendable {
    public let perSecond: Double
    /// Microseconds.
    public let p50: Double
    public let p99: Double
}

/// Runs `total` operations over `callers` concurrent tasks (each knows its own number) and
/// returns each operation's latency in microseconds, sorted.
public func concurrently(
    callers: Int, total: Int, _ operation: @escaping @Sendable (_ caller: Int, _ index: Int) async throws -> Void
) async throws -> [Double] {
    let next = Ticket()
    return try await withThrowingTaskGroup(of: [Double].self) { group in
        for caller in 0..<callers {
            group.addTask {
                var mine: [Double] = []
                while true {
                    let index = next.take()
                    guard index < total else { return mine }
                    let began = ContinuousClock.now
                    try await operation(caller, index)
                    mine.append(microseconds(ContinuousClock.now - began))
                }
            }
        }
        var all: [Double] = []
        for try await part in group { all += part }
        return all.sorted()
    }
}

/// `concurrently`, timed as a whole: operations a second and the latency percentiles.
public func measure(
    callers: Int, total: Int, _ operation: @escaping @Sendable (_ caller: Int, _ index: Int) async throws -> Void
) async throws -> LoadFigures {
    let start = ContinuousClock.now
    let samples = try await concurrently(callers: callers, total: total, operation)
    let seconds = microseconds(ContinuousClock.now - start) / 1e6
    return LoadFigures(perSecond: Double(total) / seconds, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99))
}

public func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

/// The value at `fraction` of sorted samples (0 when there are none).
public func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

/// Ends the whole run with `reason` when a benchmark would measure something other than what it
/// says. Not a thrown error: the harness prints a failed setup's error but still exits 0.
public func stopRun(_ reason: String) -> Never {
    fatalError(reason)
}
