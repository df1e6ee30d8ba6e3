import Foundation
import KefuCore
import KefuRealtime
import KefuTestSupport
import Testing

@Suite struct PresenceTests {
    @Test func anAgentIsOnlineWhileAConsoleIsConnectedAndNotAway() {
        let presence = PresenceRegistry(grace: 0)
        let agent = AgentID.generate()
        #expect(presence.status(agent) == .offline)
        presence.connected(agent)
        presence.connected(agent)
        #expect(presence.status(agent) == .online)
        presence.setAway(agent, true)
        #expect(presence.status(agent) == .away)
        #expect(presence.onlineAgents().isEmpty)
        presence.setAway(agent, false)
        presence.disconnected(agent)
        #expect(presence.status(agent) == .online)
        presence.disconnected(agent)
        #expect(presence.status(agent) == .offline)
    }

    @Test func movingBetweenPagesDoesNotMakeAnAgentOffline() {
        let clock = TestClock()
        let presence = PresenceRegistry(grace: 30, now: { clock.now })
        let agent = AgentID.generate()
        presence.connected(agent)
        presence.disconnected(agent)
        clock.advance(by: 10)
        #expect(presence.status(agent) == .online)
        clock.advance(by: 25)
        #expect(presence.status(agent) == .offline)
    }

    @Test func roundRobinTakesTurnsAndSkipsFullAgents() {
        let a = AgentID(rawValue: "00000000-0000-0000-0000-00000000000a")
        let b = AgentID(rawValue: "00000000-0000-0000-0000-00000000000b")
        let c = AgentID(rawValue: "00000000-0000-0000-0000-00000000000c")
        var robin = RoundRobin()
        let capacity = [a: 2, b: 2, c: 1]
        var load: [AgentID: Int] = [:]
        var picks: [AgentID?] = []
        for _ in 0..<6 {
            let pick = robin.next(online: [a, b, c], load: load, capacity: capacity)
            if let pick { load[pick, default: 0] += 1 }
            picks.append(pick)
        }
        // a, b, c, then c is full (capacity 1): a, b, then everyone is full.
        #expect(picks == [a, b, c, a, b, nil])
        #expect(robin.next(online: [], load: [:], capacity: capacity) == nil)
    }
}
