import Foundation
import ServiceLifecycle

/// The loop every outbox-like service runs: do the work when woken (something was queued) and
/// at least every `interval` (retries come due, another instance queued something), one round at
/// a time, until graceful shutdown; and, when given, a `sweep` after a round at most every
/// `sweepEvery` (a reconciliation for what a crash left unqueued).
func runWorkTicks(
    wakeups: AsyncStream<Void>, every interval: Duration, sweepEvery: Duration? = nil, sweep: (@Sendable () async -> Void)? = nil,
    _ work: @escaping @Sendable () async -> Void
) async {
    var lastSweep = ContinuousClock.now
    await withTaskGroup(of: Void.self) { group in
        let (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        group.addTask {
            for await _ in wakeups { tick.yield() }
        }
        group.addTask {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                tick.yield()
            }
        }
        for await _ in ticks.cancelOnGracefulShutdown() {
            await work()
            if let sweep, let sweepEvery, ContinuousClock.now - lastSweep > sweepEvery {
                await sweep()
                lastSweep = .now
            }
        }
        group.cancelAll()
    }
}
