import Foundation
import KefuCore
import Testing

@Suite struct SystemEventTests {
    let agent = AgentID.generate()

    /// Every form an earlier version stored reads back to the same value and writes the same text.
    @Test func readsAndWritesEveryStoredForm() {
        let forms: [(String, SystemEvent)] = [
            ("status:resolved", .changed(status: .resolved, assignee: nil)),
            ("status:open", .changed(status: .open, assignee: nil)),
            ("assignee:none", .changed(status: nil, assignee: .some(nil))),
            ("status:pending assignee:\(agent.rawValue)", .changed(status: .pending, assignee: .some(agent))),
            ("mail:failed 0c1d relay said 550 no such user", .mailFailed(outboxId: "0c1d", reason: "relay said 550 no such user")),
        ]
        for (text, event) in forms {
            #expect(SystemEvent(storedText: text) == event, "\(text)")
            #expect(event.storedText == text)
        }
    }

    @Test func textItDoesNotKnowIsKeptAsItIs() {
        for text in ["", "status:archived", "assignee:not-an-id", "label:vip", "status:open status:resolved", "hello"] {
            #expect(SystemEvent(storedText: text) == .unknown(text), "\(text)")
            #expect(SystemEvent(storedText: text).storedText == text)
        }
    }

    @Test func aChangeIsNarratedOnlyWhenStatusOrAssigneeMoves() {
        #expect(SystemEvent.change(status: .open, assignee: nil, to: .open, assignee: .some(nil)) == nil)
        #expect(SystemEvent.change(status: .open, assignee: agent, to: nil, assignee: nil) == nil)
        #expect(SystemEvent.change(status: .open, assignee: agent, to: .resolved, assignee: .some(agent)) == .changed(status: .resolved, assignee: nil))
        #expect(SystemEvent.change(status: .open, assignee: agent, to: nil, assignee: .some(nil)) == .changed(status: nil, assignee: .some(nil)))
    }

    @Test func customersLearnTheStatusOnly() {
        #expect(SystemEvent.changed(status: .resolved, assignee: .some(agent)).customerVisibleStatus == .resolved)
        #expect(SystemEvent.changed(status: nil, assignee: .some(agent)).customerVisibleStatus == nil)
        #expect(SystemEvent.mailFailed(outboxId: "x", reason: "y").customerVisibleStatus == nil)
    }

    @Test func longReasonsAreCut() {
        let event = SystemEvent.mailFailed(outboxId: "x", reason: String(repeating: "r", count: 1000))
        #expect(event.storedText.count == "mail:failed x ".count + SystemEvent.reasonLength)
    }
}
