import Foundation
import KefuChannels
import KefuCore
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
        struct State { var now = 0, most = 0, owners: [String] = [], startedAt: [Date] = [], stoppedAt: [Date] = [] }
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
                    $0.startedAt.append(Date())
                }
                defer {
                    runs.state.withLock {
                        $0.now -= 1
                        $0.stoppedAt.append(Date())
                    }
                }
                try? await Task.sleep(for: .seconds(3600))
            }
        }

        /// The limit is generous: under the whole suite on two cores one database round has
        /// taken over 10 s.
        func waitFor(_ owners: Int, within limit: Duration = .seconds(45)) async throws {
            let deadline = ContinuousClock.now + limit
            while state.withLock({ $0.owners.count }) < owners && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(25)) }
        }
    }

    /// Leases of 6 s renewed every 0.2 s: long enough that a renewal held up by a loaded machine
    /// (the whole suite in parallel on two cores) does not let a second instance in.
    static func leased(_ owner: String, _ store: SQLStore, _ runs: Runs) -> OneInstanceAtATime {
        OneInstanceAtATime(
            "telegram", owner: owner, store: store, services: [runs.service(owner)], lease: 6, renewEvery: .milliseconds(200),
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

    /// A holder whose task is cancelled (its service group ends) gives the lease back, so the
    /// next one need not wait it out.
    @Test(arguments: TestBackend.available)
    func aCancelledHolderGivesTheLeaseBack(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let runs = Runs()
            let a = Task { try await Self.leased("a", store, runs).run() }
            try await runs.waitFor(1)
            a.cancel()
            _ = await a.result
            let now = Date()
            #expect(try await store.acquireLease("telegram", owner: "c", until: now.addingTimeInterval(6), at: now, holderSilentBefore: now.addingTimeInterval(-10)))
        }
    }

    /// The instance state of a database whose answers to renewals come late (a busy pool, a
    /// slow server): once the test says so, every lease request takes a minute.
    final class SlowRenewals: InstanceStateRepository {
        let store: SQLStore
        /// Set by the test: from now on every lease request takes a minute.
        let slowFromNow = Mutex(false)
        /// The end of the lease as last taken or renewed.
        let heldUntil = Mutex<Date?>(nil)

        init(store: SQLStore) { self.store = store }

        func acquireLease(_ name: String, owner: String, until: Date, at: Date, holderSilentBefore: Date) async throws -> Bool {
            if slowFromNow.withLock({ $0 }) { try await Task.sleep(for: .seconds(60)) }
            let taken = try await store.acquireLease(name, owner: owner, until: until, at: at, holderSilentBefore: holderSilentBefore)
            if taken { heldUntil.withLock { $0 = until } }
            return taken
        }
        func heartbeat(instance id: String, at: Date) async throws { try await store.heartbeat(instance: id, at: at) }
        func removeInstance(_ id: String) async throws { try await store.removeInstance(id) }
        func releaseLease(_ name: String, owner: String) async throws { try await store.releaseLease(name, owner: owner) }
        func saveAgentConnections(instance: String, _ connections: [AgentConnections]) async throws {
            try await store.saveAgentConnections(instance: instance, connections)
        }
        func agentConnections(aliveSince: Date, excluding instance: String) async throws -> [AgentConnections] {
            try await store.agentConnections(aliveSince: aliveSince, excluding: instance)
        }
        func setAgentAway(_ agent: AgentID, away: Bool, at: Date) async throws { try await store.setAgentAway(agent, away: away, at: at) }
        func agentsAway() async throws -> Set<AgentID> { try await store.agentsAway() }
    }

    /// A holder whose renewal is slow stops its services before its lease ends, not when the
    /// renewal answers: by then another instance may have taken the lease and be running them.
    @Test(arguments: TestBackend.available)
    func aHolderWhoseRenewalIsSlowStopsBeforeTheLeaseEnds(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let runs = Runs()
            let slow = SlowRenewals(store: store)
            let holder = OneInstanceAtATime(
                "telegram", owner: "slow", store: slow, services: [runs.service("slow")], lease: 30,
                renewEvery: .milliseconds(200), retryEvery: .seconds(60), logger: Logger(label: "test"))
            let task = Task { try await holder.run() }
            try await runs.waitFor(1)
            slow.slowFromNow.withLock { $0 = true }
            for _ in 0..<900 where runs.state.withLock({ $0.stoppedAt.isEmpty }) { try await Task.sleep(for: .milliseconds(50)) }
            let stopped = try #require(runs.state.withLock { $0.stoppedAt.first })
            let until = try #require(slow.heldUntil.withLock { $0 })
            // The services stop a third of the lease before its end: production's 30 s lease, as
            // the 10 s left are what absorbs a loaded machine's late wake-ups (seconds, under the
            // whole suite on two cores).
            #expect(stopped < until, "stopped \(stopped.timeIntervalSince(until)) s after the lease's end")
            task.cancel()
            _ = await task.result
        }
    }

    /// A holder that died (killed: it never released) is taken over once its lease ran out, not before.
    @Test(arguments: TestBackend.available)
    func aDeadHoldersLeaseRunsOutFirst(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let runs = Runs()
            // "dead" never wrote a heartbeat: nothing says it stopped, so its lease runs to the end.
            #expect(
                try await store.acquireLease(
                    "telegram", owner: "dead", until: Date().addingTimeInterval(1.5), at: Date(), holderSilentBefore: Date().addingTimeInterval(-10)))
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
            // Over two lease lengths, never two at once. (Usually the holder renews and nobody
            // else starts; under the whole suite a renewal can be late enough that the holder
            // stops and another takes over, which is what a lease is for.)
            try await Task.sleep(for: .seconds(13))
            #expect(runs.state.withLock { $0.most } == 1)
            for task in tasks { task.cancel() }
            for task in tasks { _ = await task.result }
        }
    }

    /// A holder whose heartbeat stopped (killed, frozen) loses its lease without waiting for its
    /// end; one still writing its heartbeat keeps it, and so does one that never wrote any.
    @Test(arguments: TestBackend.available)
    func aSilentHoldersLeaseIsTakenBeforeItsEnd(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let start = Date()
            func ask(_ owner: String, after seconds: TimeInterval, lease: String = "telegram") async throws -> Bool {
                let at = start.addingTimeInterval(seconds)
                return try await store.acquireLease(
                    lease, owner: owner, until: at.addingTimeInterval(30), at: at, holderSilentBefore: at.addingTimeInterval(-10))
            }
            try await store.heartbeat(instance: "a", at: start)
            #expect(try await ask("a", after: 0))
            #expect(try await ask("ghost", after: 0, lease: "other"))
            // 5 s after a's last heartbeat: a is alive.
            #expect(try await !ask("b", after: 5))
            // 12 s: a has been silent for longer than 10 s, and b takes over; a's renewal fails.
            #expect(try await ask("b", after: 12))
            #expect(try await !ask("a", after: 12.5))
            // A holder with no heartbeat row at all keeps its lease until it ends.
            #expect(try await !ask("b", after: 12, lease: "other"))
            #expect(try await ask("b", after: 31, lease: "other"))
        }
    }

    /// The service: an instance that starts while a killed one's lease still has a minute to
    /// run takes over as soon as the killed one's heartbeat is old enough.
    @Test(arguments: TestBackend.available)
    func aRestartedInstanceDoesNotWaitOutAKilledOnesLease(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let runs = Runs()
            let lastBeat = Date().addingTimeInterval(-3)
            try await store.heartbeat(instance: "killed", at: lastBeat)
            #expect(
                try await store.acquireLease(
                    "telegram", owner: "killed", until: Date().addingTimeInterval(60), at: Date(), holderSilentBefore: Date().addingTimeInterval(-10)))
            let restarted = OneInstanceAtATime(
                "telegram", owner: "restarted", store: store, services: [runs.service("restarted")], lease: 60, renewEvery: .milliseconds(200),
                retryEvery: .milliseconds(100), holderSilence: 5, logger: Logger(label: "test"))
            let task = Task { try await restarted.run() }
            try await runs.waitFor(1, within: .seconds(45))
            #expect(runs.state.withLock { $0.owners } == ["restarted"])
            // Taken once the killed one had been silent for 5 s, not before (the start of this
            // test may itself take seconds on a loaded machine), and not when the minute's lease
            // ran out.
            let tookOver = try #require(runs.state.withLock { $0.startedAt.first })
            let silence = tookOver.timeIntervalSince(lastBeat)
            #expect(silence >= 4.9 && silence < 30, "taken over after \(silence) s of silence")
            task.cancel()
            _ = await task.result
        }
    }
}
