import Foundation
import KefuCore
import Testing

/// Who gets a connection slot at a cap (docs/security.md, "Connections").
@Suite struct ConnectionAdmissionTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    func admittedID(_ decision: ConnectionAdmission<String>.Decision) -> (UInt64, String?)? {
        if case .admitted(let id, let victim) = decision { return (id, victim) }
        return nil
    }

    @Test func underTheCapsEveryoneIsAdmittedAndNobodyEvicted() {
        var admission = ConnectionAdmission<String>(limits: .init(maxTotal: 3, maxPerAddress: 2))
        #expect(admittedID(admission.admit(address: "a", handle: "a1", now: at(0)))?.1 == nil)
        #expect(admittedID(admission.admit(address: "a", handle: "a2", now: at(1)))?.1 == nil)
        #expect(admittedID(admission.admit(address: "b", handle: "b1", now: at(2)))?.1 == nil)
        #expect(admission.openCount == 3)
        #expect(admission.openCount(address: "a") == 2)
    }

    @Test func atTheAddressCapTheAddressesLongestWaitingConnectionMakesRoom() {
        var admission = ConnectionAdmission<String>(limits: .init(maxTotal: 100, maxPerAddress: 2))
        let first = admittedID(admission.admit(address: "a", handle: "a1", now: at(0)))!.0
        _ = admission.admit(address: "a", handle: "a2", now: at(1))
        _ = admission.admit(address: "b", handle: "b1", now: at(0))
        // a1 did something more recently than a2: a2 is the one that only holds a slot longest.
        admission.update(first, waiting: true, at: at(5))
        #expect(admittedID(admission.admit(address: "a", handle: "a3", now: at(6)))?.1 == "a2")
        #expect(admission.openCount(address: "a") == 2)
        #expect(admission.openCount == 3)
    }

    @Test func atTheProcessCapTheLongestWaitingConnectionAnywhereMakesRoom() {
        var admission = ConnectionAdmission<String>(limits: .init(maxTotal: 2, maxPerAddress: nil))
        _ = admission.admit(address: "a", handle: "a1", now: at(0))
        _ = admission.admit(address: "b", handle: "b1", now: at(1))
        #expect(admittedID(admission.admit(address: "c", handle: "c1", now: at(2)))?.1 == "a1")
        #expect(admission.openCount == 2)
        #expect(admission.openCount(address: "a") == 0)
    }

    @Test func busyConnectionsAreNeverEvictedAndANewcomerIsRefusedInstead() {
        var admission = ConnectionAdmission<String>(limits: .init(maxTotal: 2, maxPerAddress: 1))
        let a = admittedID(admission.admit(address: "a", handle: "a1", now: at(0)))!.0
        let b = admittedID(admission.admit(address: "b", handle: "b1", now: at(0)))!.0
        admission.update(a, waiting: false, at: at(1))
        admission.update(b, waiting: false, at: at(1))
        guard case .refused(.address) = admission.admit(address: "a", handle: "a2", now: at(2)) else {
            Issue.record("admitted past the address cap")
            return
        }
        guard case .refused(.process) = admission.admit(address: "c", handle: "c1", now: at(2)) else {
            Issue.record("admitted past the process cap")
            return
        }
        // Once one is done and waiting again, it makes room.
        admission.update(b, waiting: true, at: at(3))
        #expect(admittedID(admission.admit(address: "c", handle: "c1", now: at(4)))?.1 == "b1")
    }

    @Test func releasingTwiceOrAfterEvictionKeepsTheCountsRight() {
        var admission = ConnectionAdmission<String>(limits: .init(maxTotal: 1, maxPerAddress: nil))
        let a = admittedID(admission.admit(address: "a", handle: "a1", now: at(0)))!.0
        let b = admittedID(admission.admit(address: "b", handle: "b1", now: at(1)))!.0
        admission.release(a)  // already evicted
        admission.release(b)
        admission.release(b)
        #expect(admission.openCount == 0)
        #expect(admission.openCount(address: "a") == 0 && admission.openCount(address: "b") == 0)
    }

    @Test func aFloodFromOneAddressNeverLocksOutAnotherClient() {
        var admission = ConnectionAdmission<String>(limits: .init(maxTotal: 50, maxPerAddress: 10))
        for index in 0..<10_000 { _ = admission.admit(address: "attacker", handle: "x\(index)", now: at(Double(index) / 1000)) }
        #expect(admission.openCount(address: "attacker") == 10)
        #expect(admittedID(admission.admit(address: "monitor", handle: "healthz", now: at(11))) != nil)
    }

    @Test func longLivedConnectionsKeepATenthFreeForEverythingElse() {
        var admission = ConnectionAdmission<String>(limits: .init(maxTotal: 10, maxPerAddress: nil))
        #expect(admission.limits.maxLongLived == 9)
        var sockets: [UInt64] = []
        for index in 0..<10 {
            let id = admittedID(admission.admit(address: "a\(index)", handle: "s\(index)", now: at(Double(index))))!.0
            if admission.markLongLived(id) { sockets.append(id) }
        }
        #expect(sockets.count == 9)
        #expect(admission.longLivedOpen == 9)
        // The one that could not upgrade waits (and makes room); a health check still gets in.
        #expect(admittedID(admission.admit(address: "monitor", handle: "healthz", now: at(20)))?.1 == "s9")
        admission.release(sockets[0])
        #expect(admission.longLivedOpen == 8)
    }
}
