import Foundation
import KefuChannels
import KefuStore
import KefuTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Work only one instance may do (Telegram's long poll) runs under a lease in the database.
@Suite struct OneInstanceAtATimeTests {
    /// Counts who runs: how many at once now, the most at once ever, and which owners ran.
    final class Runs: Sendable {
        struct State { var now = 0, most = 0, owners: [String] = [] }
        let state = Mutex(State())

        func service(_ owner: String) -> some Service { Work(owner: owner, runs: self) }

        struct Work: Service {
            let owner: String
            let runs: Runs
            func run() async throws {
                runs.state.withLock {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                    $0.owners.append(owner)
                }
                defer { runs.state.withLock { $0.now -= 1 } }
                try? await Task.sleep(for: .seconds(3600))
            }
        }

        func waitFor(_ owners: Int) async throws {
            for _ in 0..<400 where state.withLock({ $0.owners.count }) < owners { try await Task.sleep(for: .milliseconds(25)) }
        }
    }

    static func leased(_ owner: String, _ store: SQLStore, _ runs: Runs) -> OneInstanceAtATime {
        OneInstanceAtATime(
            "telegram", owner: owner, store: store, services: [runs.service(owner)], lease: 2, renewEvery: .milliseconds(200),
            retryEvery: .milliseconds(100), logger: Logger(label: "test"))
    }

    @Test(arguments: TestBackend.available)
    func oneRunsAndASurvivorTakesOverWhenItStops(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let runs = Runs()
            let a = Task { try await Self.leased("a", store, runs).run() }
            try await runs.waitFor(1)
            let b = Task { try await Self.leased("b", store, runs).run() }
            try await Task.sleep(for: .seconds(1))
            #expect(runs.state.withLock { $0.owners } == ["a"])
            a.cancel()
            try await runs.waitFor(2)
            #expect(runs.state.withLock { $0.owners } == ["a", "b"])
            #expect(runs.state.withLock { $0.most } == 1)
            b.cancel()
            _ = await (a.result, b.result)
        }
    }

    /// A holder that died (killed: it never released) is taken over once its lease ran out, not before.
    @Test(arguments: TestBackend.available)
    func aDeadHoldersLeaseRunsOutFirst(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let runs = Runs()
            #expect(try await store.acquireLease("telegram", owner: "dead", until: Date().addingTimeInterval(1.5), at: Date()))
            let started = ContinuousClock.now
            let b = Task { try await Self.leased("b", store, runs).run() }
            try await runs.waitFor(1)
            #expect(runs.state.withLock { $0.owners } == ["b"])
            #expect(ContinuousClock.now - started >= .seconds(1))
            b.cancel()
            _ = await b.result
        }
    }

    /// Three instances started together: one runs; the lease is renewed, so it keeps running.
    @Test(arguments: TestBackend.available)
    func startedTogetherOnlyOneRuns(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let runs = Runs()
            let tasks = ["a", "b", "c"].map { owner in Task { try await Self.leased(owner, store, runs).run() } }
            try await runs.waitFor(1)
            // Several lease lengths: the holder renews, nobody else starts.
            try await Task.sleep(for: .seconds(5))
            #expect(runs.state.withLock { $0.owners.count } == 1)
            #expect(runs.state.withLock { $0.most } == 1)
            for task in tasks { task.cancel() }
            for task in tasks { _ = await task.result }
        }
    }
}
