import Foundation
import KefuCore
import KefuRealtime
import Testing

let someContact = ContactID.generate()
let someInbox = InboxID.generate()

func message(
    _ conversation: ConversationID, seq: Int64, direction: MessageDirection = .incoming, contact: ContactID = someContact
) -> ConversationEvent {
    .message(
        Message(
            id: .generate(), conversationId: conversation, seq: seq, direction: direction, author: .system, text: "m\(seq)",
            attachments: [], channelMessageId: nil, clientMessageId: nil, createdAt: Date()),
        contactId: contact, inboxId: someInbox)
}

@Suite struct EventHubTests {
    @Test func eventsReachTheirConversationsAndTheInbox() async throws {
        let hub = EventHub()
        let a = ConversationID.generate()
        let b = ConversationID.generate()
        let widgetA = hub.subscribe([.conversation(a)])
        let inbox = hub.subscribe([.allConversations])
        let widgetB = hub.subscribe([.conversation(b)])
        let customer = ContactID.generate()
        let customerWidget = hub.subscribe([.contact(customer)])
        hub.publish(message(a, seq: 1))
        hub.publish(message(b, seq: 1))
        hub.publish(message(b, seq: 2, contact: customer))

        var iteratorA = widgetA.makeAsyncIterator()
        var iteratorInbox = inbox.makeAsyncIterator()
        var iteratorB = widgetB.makeAsyncIterator()
        #expect(try await iteratorA.next()?.conversationId == a)
        #expect(try await iteratorInbox.next()?.conversationId == a)
        #expect(try await iteratorInbox.next()?.conversationId == b)
        #expect(try await iteratorB.next()?.conversationId == b)
        var iteratorCustomer = customerWidget.makeAsyncIterator()
        #expect(try await iteratorCustomer.next()?.seq == 2)
        #expect(hub.subscriberCount == 4)
    }

    @Test func aSubscriberThatFallsBehindIsEndedNotSilentlySkipped() async throws {
        let hub = EventHub(bufferSize: 2)
        let conversation = ConversationID.generate()
        let slow = hub.subscribe([.conversation(conversation)])
        for seq in Int64(1)...3 { hub.publish(message(conversation, seq: seq)) }
        var received: [Int64] = []
        await #expect(throws: EventHubError.overflow) {
            for try await event in slow { received.append(event.seq ?? -1) }
        }
        // What it did get is a prefix; the client reconnects with since=2 and replays the rest.
        #expect(received == [1, 2])
    }

    @Test func aSubscriberOfSeveralMatchingTopicsGetsEachEventOnce() async throws {
        let hub = EventHub()
        let conversation = ConversationID.generate()
        let customer = ContactID.generate()
        let everything = hub.subscribe([.conversation(conversation), .contact(customer), .allConversations])
        let other = ConversationID.generate()
        hub.publish(message(conversation, seq: 1, contact: customer))
        hub.publish(message(other, seq: 1))
        hub.publish(message(conversation, seq: 2, contact: customer))
        var iterator = everything.makeAsyncIterator()
        var seen: [String] = []
        for _ in 0..<3 {
            let event = try await iterator.next()
            seen.append("\(event?.conversationId == conversation ? "mine" : "other") \(event?.seq ?? -1)")
        }
        #expect(seen == ["mine 1", "other 1", "mine 2"])
        #expect(hub.subscriberCount == 1)
    }

    @Test func endingOneOfTwoSubscriptionsOnATopicKeepsTheOther() async throws {
        let hub = EventHub()
        let conversation = ConversationID.generate()
        let customer = ContactID.generate()
        let kept = hub.subscribe([.conversation(conversation)])
        let task = Task {
            for try await _ in hub.subscribe([.conversation(conversation), .contact(customer)]) {}
        }
        while hub.subscriberCount < 2 { await Task.yield() }
        task.cancel()
        while hub.subscriberCount > 1 { await Task.yield() }
        hub.publish(message(conversation, seq: 7, contact: customer))
        var iterator = kept.makeAsyncIterator()
        #expect(try await iterator.next()?.seq == 7)
        #expect(hub.subscriberCount == 1)
    }

    @Test func droppingASubscriptionUnsubscribes() async throws {
        let hub = EventHub()
        let conversation = ConversationID.generate()
        let task = Task {
            for try await _ in hub.subscribe([.conversation(conversation)]) {}
        }
        while hub.subscriberCount == 0 { await Task.yield() }
        task.cancel()
        while hub.subscriberCount > 0 { await Task.yield() }
        #expect(hub.subscriberCount == 0)
    }
}

@Suite struct ReplayCursorTests {
    @Test func replayThenLiveDeliversEachEventOnceInOrder() {
        let conversation = ConversationID.generate()
        var cursor = ReplayCursor(since: [conversation: 3])
        // Live events 5 and 6 arrived while the store read returned 4 and 5.
        let replay = [message(conversation, seq: 4), message(conversation, seq: 5)]
        let live = [message(conversation, seq: 5), message(conversation, seq: 6)]
        let delivered = (replay + live).filter { cursor.admit($0) }.compactMap(\.seq)
        #expect(delivered == [4, 5, 6])
        #expect(cursor.lastSeq(conversation) == 6)
        // Old events are never delivered again; typing always passes.
        let again = cursor.admit(message(conversation, seq: 2))
        let typing = cursor.admit(
            ConversationEvent(conversationId: conversation, contactId: someContact, inboxId: someInbox, kind: .typing(.system, isTyping: true)))
        #expect(!again)
        #expect(typing)
    }

    @Test func anyInterleavingOfReplayAndLiveIsGapFreeAndDuplicateFree() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let conversation = ConversationID.generate()
            let since = Int64.random(in: 0...5, using: &generator)
            let last = since + Int64.random(in: 1...30, using: &generator)
            // The store has everything up to some point; live covers from somewhere before it to the end.
            let storedUpTo = Int64.random(in: since...last, using: &generator)
            let liveFrom = Int64.random(in: (since + 1)...(storedUpTo + 1), using: &generator)
            let replay = since < storedUpTo ? (since + 1...storedUpTo).map { message(conversation, seq: $0) } : []
            let live = liveFrom <= last ? (liveFrom...last).map { message(conversation, seq: $0) } : []
            var cursor = ReplayCursor(since: [conversation: since])
            let delivered = (replay + live).filter { cursor.admit($0) }.compactMap(\.seq)
            #expect(delivered == Array((since + 1)...last))
        }
    }

    @Test func privateNotesAreNotForCustomers() {
        let conversation = ConversationID.generate()
        #expect(!message(conversation, seq: 1, direction: .note).isVisibleToCustomers)
        #expect(message(conversation, seq: 2, direction: .outgoing).isVisibleToCustomers)
        #expect(message(conversation, seq: 3, direction: .system).isVisibleToCustomers)
    }
}

@Suite struct ReplayCursorGapTests {
    @Test func aLaterSeqOfAFollowedConversationShowsWhatIsMissing() {
        let conversation = ConversationID.generate()
        var cursor = ReplayCursor(since: [conversation: 3])
        #expect(cursor.missing(before: message(conversation, seq: 4)) == nil)
        #expect(cursor.missing(before: message(conversation, seq: 6)) == 3)
        // A conversation not followed yet has nothing missing: its first event starts it.
        let other = ConversationID.generate()
        #expect(cursor.missing(before: message(other, seq: 9)) == nil)
        let admitted = cursor.admit(message(other, seq: 9))
        #expect(admitted)
        #expect(cursor.missing(before: message(other, seq: 11)) == 9)
        // Ephemeral events have no place.
        let typing = ConversationEvent(conversationId: conversation, contactId: someContact, inboxId: someInbox, kind: .typing(.system, isTyping: true))
        #expect(cursor.missing(before: typing) == nil)
    }
}
