import Foundation
import KefuCore
import KefuRealtime
import KefuStore
import KefuTestSupport
import Logging
import Testing

/// Presence shared by two instances on one database.
@Suite struct SharedPresenceTests {
    static func instances(_ store: SQLStore, clock: TestClock) -> (SharedPresence, SharedPresence) {
        let logger = Logger(label: "test")
        return (
            SharedPresence(instance: "a", store: store, logger: logger, now: { clock.now }),
            SharedPresence(instance: "b", store: store, logger: logger, now: { clock.now })
        )
    }

    @Test(arguments: TestBackend.available)
    func anAgentOnOneInstanceIsOnlineOnTheOther(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend, now: { clock.now }) { store in
            let (a, b) = Self.instances(store, clock: clock)
            let li = AgentID.generate()
            a.connected(li)
            #expect(a.status(li) == .online)
            #expect(b.status(li) == .offline)
            await a.sync()
            await b.sync()
            #expect(b.status(li) == .online)
            #expect(b.onlineAgents() == [li])
            // Closed on A: still online through the grace period (moving between pages), then offline.
            a.disconnected(li)
            await a.sync()
            await b.sync()
            #expect(b.status(li) == .online)
            clock.advance(by: 31)
            await a.sync()
            await b.sync()
            #expect(b.status(li) == .offline && a.status(li) == .offline)
        }
    }

    @Test(arguments: TestBackend.available)
    func awayIsOneChoiceForEveryInstance(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend, now: { clock.now }) { store in
            let (a, b) = Self.instances(store, clock: clock)
            let li = AgentID.generate()
            a.connected(li)
            b.setAway(li, true)
            #expect(b.status(li) == .offline)  // no console on B, none seen from A yet
            await b.sync()
            await a.sync()
            #expect(a.status(li) == .away)
            #expect(a.onlineAgents().isEmpty)
            a.setAway(li, false)
            #expect(a.status(li) == .online)
            await a.sync()
            await b.sync()
            #expect(b.status(li) == .online)
            // A restarted instance reads the choice back.
            let (fresh, _) = Self.instances(store, clock: clock)
            b.setAway(li, true)
            await b.sync()
            await fresh.sync()
            fresh.connected(li)
            #expect(fresh.status(li) == .away)
        }
    }

    /// An instance that stops, even by cancellation (its service group ends), takes its
    /// consoles out of the count at once instead of leaving its row to age out.
    @Test(arguments: TestBackend.available)
    func aStoppedInstancesConsolesStopCountingAtOnce(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend, now: { clock.now }) { store in
            let (a, b) = Self.instances(store, clock: clock)
            let li = AgentID.generate()
            a.connected(li)
            let running = Task { try await a.run() }
            for _ in 0..<400 where b.status(li) != .online {
                try await Task.sleep(for: .milliseconds(50))
                await b.sync()
            }
            #expect(b.status(li) == .online)
            running.cancel()
            _ = await running.result
            await b.sync()
            #expect(b.status(li) == .offline)
        }
    }

    /// An instance killed with consoles open stops counting once its heartbeat is old.
    @Test(arguments: TestBackend.available)
    func aDeadInstancesConsolesStopCounting(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend, now: { clock.now }) { store in
            let (a, b) = Self.instances(store, clock: clock)
            let li = AgentID.generate()
            a.connected(li)
            await a.sync()
            await b.sync()
            #expect(b.status(li) == .online)
            clock.advance(by: 21)  // A writes nothing more: killed
            await b.sync()
            #expect(b.status(li) == .offline)
        }
    }
}
