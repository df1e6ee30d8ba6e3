import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

/// The outbound event journal is written in the transaction of what it records and fanned out
/// once; deliveries are leased, retried and counted toward an endpoint's run of failures.
@Suite struct WebhookStoreTests {
    static func subscription(_ events: [OutboundEventType], notes: Bool = false, inbox: InboxID? = nil) -> NewWebhookSubscription {
        NewWebhookSubscription(url: "https://hooks.example.com/kefu", events: events, includePrivateNotes: notes, inboxId: inbox, secretSealed: "sealed")
    }

    @Test(arguments: TestBackend.available)
    func writesJournalWhatHappenedInOrder(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            // Nothing is journaled while no subscription wants it.
            let early = try await store.createInbox(name: "Early", kind: .api, audit: nil)
            _ = try await store.createConversation(inboxId: early.id, contactId: try await store.createContact(name: nil, email: nil, locale: nil).id, subject: nil)
            #expect(try await store.pendingOutboundEvents(limit: 10).isEmpty)
            let all = try await store.createWebhook(Self.subscription([.messageCreated, .conversationCreated, .conversationUpdated]), audit: nil)
            let inbox = try await store.createInbox(name: "App", kind: .api, audit: nil)
            let contact = try await store.createContact(name: "Li", email: nil, locale: nil)
            let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil)
            let incoming = try await store.appendMessage(conversationId: conversation.id, NewMessage(direction: .incoming, author: .contact(contact.id), text: "hi"))
            let note = try await store.appendMessage(conversationId: conversation.id, NewMessage(direction: .note, author: .system, text: "note"))
            _ = try await store.appendMessage(conversationId: conversation.id, .system(.changed(status: .pending, assignee: nil)))
            _ = try await store.updateConversation(id: conversation.id, change: .init(status: .resolved, labels: ["kyc"]), audit: nil)
            // A change that changes nothing is not an event.
            _ = try await store.updateConversation(id: conversation.id, change: .init(status: .resolved), audit: nil)

            let events = try await store.pendingOutboundEvents(limit: 100)
            #expect(events.map(\.type) == [.conversationCreated, .messageCreated, .messageCreated, .conversationUpdated])
            #expect(events.map(\.subjectId) == [conversation.id.rawValue, incoming.message.id.rawValue, note.message.id.rawValue, conversation.id.rawValue])
            #expect(events[2].detail["private"] == "true" && events[1].detail["private"] == nil)
            #expect(events[3].detail["changed"] == "labels,status")
            #expect(events.allSatisfy { $0.inboxId == inbox.id })
            #expect(events.map(\.seq) == events.map(\.seq).sorted())

            // Subscriptions choose: notes only when asked, an inbox's callback only its inbox.
            let notes = try await store.createWebhook(Self.subscription([.messageCreated], notes: true), audit: nil)
            let otherInbox = try await store.createInbox(name: "Other", kind: .api, audit: nil)
            let other = try await store.createWebhook(Self.subscription([.messageCreated], inbox: otherInbox.id), audit: nil)
            #expect(all.wants(events[1]) && !all.wants(events[2]) && notes.wants(events[2]) && !other.wants(events[1]) && all.wants(events[0]))

            // Two dispatchers with the same events: the first to take them queues, the second nothing.
            var batch = Dictionary(uniqueKeysWithValues: events.map { ($0.seq, [NewWebhookDelivery]()) })
            batch[events[1].seq] = [NewWebhookDelivery(subscriptionId: all.id, eventType: .messageCreated, body: "{\"a\":1}")]
            try await store.fanOut(batch)
            try await store.fanOut(batch)
            #expect(try await store.pendingOutboundEvents(limit: 100).isEmpty)
            #expect(try await store.webhookDeliveries(subscriptionId: all.id, status: nil, limit: 10).map(\.body) == ["{\"a\":1}"])
        }
    }

    @Test(arguments: TestBackend.available)
    func deliveriesAreLeasedRetriedAndEndAFailureRun(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend, now: { clock.now }) { store in
            let hook = try await store.createWebhook(Self.subscription([.conversationCreated]), audit: nil)
            let contact = try await store.createContact(name: nil, email: nil, locale: nil)
            _ = try await store.createConversation(inboxId: try await store.createInbox(name: "I", kind: .api, audit: nil).id, contactId: contact.id, subject: nil)
            let journaled = try #require(try await store.pendingOutboundEvents(limit: 10).first)
            try await store.fanOut([journaled.seq: [NewWebhookDelivery(subscriptionId: hook.id, eventType: .conversationCreated, body: "{}")]])
            let claimed = try await store.claimDueWebhookDeliveries(now: clock.now, lease: 60, limit: 10)
            #expect(claimed.count == 1 && claimed[0].attempts == 1)
            #expect(try await store.claimDueWebhookDeliveries(now: clock.now, lease: 60, limit: 10).isEmpty)

            try await store.recordWebhookAttempt(
                claimed[0], WebhookAttempt(outcome: .retry(at: clock.now.addingTimeInterval(5)), responseStatus: 500, error: "HTTP 500"), at: clock.now)
            #expect(try await store.webhookSubscription(id: hook.id)?.failingSince == clock.now)
            clock.advance(by: 6)
            let again = try await store.claimDueWebhookDeliveries(now: clock.now, lease: 60, limit: 10)
            #expect(again.first?.attempts == 2)
            // The first claim's attempt again (a sender that stalled): recorded once already, not twice.
            #expect(try await !store.recordWebhookAttempt(claimed[0], WebhookAttempt(outcome: .failed, responseStatus: 400), at: clock.now))
            #expect(try await store.recordWebhookAttempt(
                again[0], WebhookAttempt(outcome: .delivered, responseStatus: 204, latencyMs: 12, responseExcerpt: ""), at: clock.now))
            #expect(try await !store.recordWebhookAttempt(
                again[0], WebhookAttempt(outcome: .retry(at: clock.now), responseStatus: 500, error: "HTTP 500"), at: clock.now))
            let done = try #require(try await store.webhookDelivery(id: again[0].id))
            #expect(done.status == .delivered && done.responseStatus == 204 && done.deliveredAt == clock.now)
            #expect(try await store.webhookSubscription(id: hook.id)?.failingSince == nil)

            // Disabled: its queued deliveries wait; replay starts one over.
            try await store.disableWebhook(id: hook.id, reason: "the endpoint answered 410 Gone")
            #expect(try await store.replayWebhookDelivery(subscriptionId: hook.id, id: done.id, at: clock.now)?.attempts == 0)
            #expect(try await store.claimDueWebhookDeliveries(now: clock.now, lease: 60, limit: 10).isEmpty)
            #expect(try await store.replayWebhookDelivery(subscriptionId: "wh_other", id: done.id, at: clock.now) == nil)
            _ = try await store.updateWebhook(id: hook.id, url: nil, events: nil, includePrivateNotes: nil, enabled: true, audit: nil)
            #expect(try await store.claimDueWebhookDeliveries(now: clock.now, lease: 60, limit: 10).count == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func rotationKeepsThePreviousSecretForTheOverlap(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let hook = try await store.createWebhook(Self.subscription([.messageCreated]), audit: nil)
            let until = Date(timeIntervalSince1970: 1_900_000_000)
            let rotated = try await store.rotateWebhookSecret(id: hook.id, secretSealed: "new", previousUntil: until, audit: nil)
            #expect(rotated.secretSealed == "new" && rotated.previousSecretSealed == "sealed" && rotated.previousSecretUntil == until)
            await #expect(throws: StoreError.notFound("webhook")) {
                _ = try await store.rotateWebhookSecret(id: "wh_none", secretSealed: "x", previousUntil: until, audit: nil)
            }
            try await store.deleteWebhook(id: hook.id, audit: nil)
            #expect(try await store.webhookSubscriptions().isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)
    func anAccountVouchedForByTheAppIsTheSamePerson(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.createInbox(name: "App", kind: .api, audit: nil)
            let account = try await store.createAccount(
                email: "wei@example.cn", passwordHash: "x", locale: "zh-CN", event: AccountEvent(kind: .registered, createdAt: Date()))
            let first = try await store.receive(
                InboundMessage(
                    sender: .init(identity: "api:\(inbox.id):user-1", name: "Wei", accountId: account.id), threadKey: "client:a", receiptKey: "client:a",
                    text: "hello"), inboxId: inbox.id, reopenWindow: 0)
            let contact = try #require(first.contact)
            #expect(try await store.account(contactId: contact.id)?.id == account.id)

            // Files uploaded by the channel are claimed by the message; someone else's are not.
            let upload = try await store.createAttachment(
                sha256: String(repeating: "b", count: 64), size: 3, contentType: "image/png", filename: "a.png",
                uploadedBy: Author(kind: .system, id: "channel:\(inbox.id)"))
            var next = InboundMessage(
                sender: .init(identity: ""), threadKey: "", receiptKey: "client:b", text: "", conversationId: try #require(first.conversation?.id))
            next.uploads = [upload.id]
            next.uploader = Author(kind: .system, id: "channel:\(InboxID.generate())")
            await #expect(throws: StoreError.self) { _ = try await store.receive(next, inboxId: inbox.id, reopenWindow: 0) }
            next.uploader = Author(kind: .system, id: "channel:\(inbox.id)")
            let second = try await store.receive(next, inboxId: inbox.id, reopenWindow: 0)
            #expect(second.appended?.message.attachments.map(\.id) == [upload.id])
            #expect(second.conversation?.id == first.conversation?.id)

            // A conversation of another inbox cannot be named.
            let other = try await store.createInbox(name: "Other", kind: .api, audit: nil)
            next.receiptKey = "client:c"
            next.uploads = []
            await #expect(throws: StoreError.notFound("conversation")) { _ = try await store.receive(next, inboxId: other.id, reopenWindow: 0) }
            #expect(try await store.channelReceipt(inboxId: inbox.id, key: "client:b")?.messageId == second.appended?.message.id)
        }
    }

    @Test(arguments: TestBackend.available)
    func publishingAnAnnouncementQueuesItsPostsInTheSameTransaction(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.createTelegramInbox(
                name: "TG", bot: TelegramBotRecord(inboxId: InboxID(rawValue: ""), botId: 99, username: "b", tokenSealed: "t", webhookSecretSealed: "s"),
                audit: nil)
            let agent = AgentID.generate()
            let made = try await store.createAnnouncement(AnnouncementText(titleEn: "A", titleZh: "甲", bodyEn: "b", bodyZh: "乙"), by: agent, audit: nil)
            let post = NewChannelDelivery(kind: .announcement, inboxId: inbox.id, dedupKey: "announce:x", target: "@news", payload: ChannelPayload(text: "甲"))
            let published = try await store.reviseAnnouncement(
                id: made.id, text: nil, status: .published, expectedVersion: 1, by: agent, audit: nil, deliveries: [post])
            // A second publish of the same version loses: nothing is written, nothing is posted twice.
            await #expect(throws: StoreError.conflict("announcement")) {
                _ = try await store.reviseAnnouncement(id: made.id, text: nil, status: .published, expectedVersion: 1, by: agent, audit: nil, deliveries: [post])
            }
            #expect(published.status == .published && published.version == 2 && published.publishedAt != nil)
            #expect(try await store.claimDueDeliveries(inboxKind: .telegram, now: Date().addingTimeInterval(1), lease: 60, limit: 10).map(\.target) == ["@news"])
            _ = try await store.reviseAnnouncement(
                id: made.id, text: AnnouncementText(titleEn: "B", titleZh: "乙", bodyEn: "b", bodyZh: "乙"), status: nil, expectedVersion: nil, by: agent,
                audit: nil, deliveries: [])
            #expect(try await store.announcementHistory(id: made.id).map(\.action) == [.created, .published, .edited])
            #expect(try await store.announcements(status: .published, limit: 10).map(\.text.titleEn) == ["B"])
        }
    }
}
