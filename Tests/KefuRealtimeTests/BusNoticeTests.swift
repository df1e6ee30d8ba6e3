import Foundation
import KefuCore
import KefuRealtime
import Testing

/// What instances send each other through NOTIFY: small, in order, never the content.
@Suite struct BusNoticeTests {
    @Test func aLongBatchIsCutIntoPayloadsUnderPostgresLimitInOrder() throws {
        let conversation = ConversationID.generate()
        let events = (1...500).map { message(conversation, seq: Int64($0)) }
        let payloads = BusNotice.payloads(from: "instance-a", events.map(BusNotice.Wakeup.init))
        #expect(payloads.count > 1)
        #expect(payloads.allSatisfy { $0.utf8.count < 8000 })
        let decoded = payloads.compactMap(BusNotice.decode)
        #expect(decoded.count == payloads.count && decoded.allSatisfy { $0.from == "instance-a" })
        #expect(decoded.flatMap(\.events).compactMap(\.storedMessage?.seq) == Array(1...500))
    }

    @Test func aMessageTravelsByPlaceNeverByContent() throws {
        let conversation = ConversationID.generate()
        let secret = "my recovery phrase is abandon ability able about"
        var event = message(conversation, seq: 7)
        if case .message(var stored) = event.kind {
            stored.text = secret
            event = .message(stored, contactId: event.contactId, inboxId: event.inboxId)
        }
        let payload = try #require(BusNotice.payloads(from: "a", [BusNotice.Wakeup(event)]).first)
        #expect(!payload.contains("recovery"))
        let wakeup = try #require(BusNotice.decode(payload)?.events.first)
        #expect(wakeup.ephemeralEvent == nil)
        #expect(wakeup.storedMessage?.conversation == conversation && wakeup.storedMessage?.seq == 7)
        #expect(wakeup.contactId == event.contactId && wakeup.inboxId == event.inboxId)
    }

    @Test func typingReadAndDeliveryCarryThemselves() throws {
        let conversation = ConversationID.generate()
        let kinds: [ConversationEvent.Kind] = [
            .typing(.agent(AgentID.generate()), isTyping: true), .read(.contact, seq: 12), .delivery(MessageID.generate(), status: "sent"),
            .delivery(nil, status: "failed"),
        ]
        for kind in kinds {
            let event = ConversationEvent(conversationId: conversation, contactId: someContact, inboxId: someInbox, kind: kind)
            let payload = try #require(BusNotice.payloads(from: "a", [BusNotice.Wakeup(event)]).first)
            #expect(BusNotice.decode(payload)?.events.first?.ephemeralEvent == event)
        }
    }

    @Test func whatIsNotANoticeIsIgnored() {
        for payload in ["", "hello", "{}", "{\"from\":1}", String(repeating: "[", count: 5000)] {
            #expect(BusNotice.decode(payload) == nil)
        }
    }
}
