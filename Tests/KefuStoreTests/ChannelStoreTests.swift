import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@Suite struct ChannelStoreTests {
    static func inbound(_ receipt: String, from user: Int64 = 42, chat: Int64 = 42, text: String = "提币一直没到账", replyTo: String? = nil) -> InboundMessage {
        InboundMessage(
            sender: .init(identity: "telegram:\(user)", name: "李伟", locale: "zh-CN"), threadKey: "chat:\(chat)", replyTo: replyTo,
            receiptKey: receipt, text: text, channelMessageId: "\(chat):\(receipt)")
    }

    static func bot(_ id: Int64, _ username: String) -> TelegramBotRecord {
        TelegramBotRecord(
            inboxId: InboxID(rawValue: ""), botId: id, username: username, tokenSealed: "sealed-token", webhookSecretSealed: "sealed-secret")
    }

    @Test(arguments: TestBackend.available)
    func aCustomerKeepsOneConversationPerThreadAndEachUpdateCountsOnce(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend, now: { clock.now }) { store in
            let inbox = try await store.createTelegramInbox(name: "Telegram", bot: Self.bot(7001, "kefu_bot"), audit: nil)
            #expect(inbox.telegram?.username == "kefu_bot")
            #expect(try await store.inbox(id: inbox.id)?.telegram?.username == "kefu_bot")

            let first = try await store.receive(Self.inbound("update:1"), inboxId: inbox.id, reopenWindow: 86400)
            #expect(!first.duplicate && first.newConversation)
            let conversation = try #require(first.conversation)
            #expect(first.contact?.name == "李伟" && first.contact?.locale == "zh-CN")
            #expect(try await store.contact(identity: "telegram:42")?.id == first.contact?.id)

            // The same update again (a retried webhook, a re-read poll) adds nothing.
            let again = try await store.receive(Self.inbound("update:1"), inboxId: inbox.id, reopenWindow: 86400)
            #expect(again.duplicate)
            let second = try await store.receive(Self.inbound("update:2", text: "还在吗"), inboxId: inbox.id, reopenWindow: 86400)
            #expect(second.conversation?.id == conversation.id && !second.newConversation)
            #expect(try await store.messages(conversationId: conversation.id, since: 0, limit: 10).map(\.text) == ["提币一直没到账", "还在吗"])

            // In a group, the same person has a conversation of its own, answered by quoting.
            let group = try await store.receive(Self.inbound("update:3", chat: -100_777, replyTo: "91"), inboxId: inbox.id, reopenWindow: 86400)
            #expect(group.newConversation && group.contact?.id == first.contact?.id)
            let groupConversation = try #require(group.conversation)
            let thread = try #require(try await store.channelThread(conversationId: groupConversation.id))
            #expect(thread.threadKey == "chat:-100777" && thread.replyTo == "91")

            // Resolved: a message within the window reopens it; after the window a new one starts.
            _ = try await store.updateConversation(id: conversation.id, change: .init(status: .resolved), audit: nil)
            clock.advance(by: 3600)
            let reopened = try await store.receive(Self.inbound("update:4"), inboxId: inbox.id, reopenWindow: 86400)
            #expect(reopened.conversation?.id == conversation.id && reopened.conversation?.status == .open)
            #expect(reopened.reopenMessage?.systemEvent == .changed(status: .open, assignee: nil))
            _ = try await store.updateConversation(id: conversation.id, change: .init(status: .resolved), audit: nil)
            clock.advance(by: 2 * 86400)
            let fresh = try await store.receive(Self.inbound("update:5"), inboxId: inbox.id, reopenWindow: 86400)
            #expect(fresh.newConversation && fresh.conversation?.id != conversation.id)
        }
    }

    @Test(arguments: TestBackend.available)
    func anEditIsKeptBesideTheOriginalOnce(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.createTelegramInbox(name: "Telegram", bot: Self.bot(7002, "kefu_bot"), audit: nil)
            let first = try await store.receive(Self.inbound("update:1", text: "地址填错了"), inboxId: inbox.id, reopenWindow: 86400)
            let original = try #require(first.appended?.message)
            let edit = try #require(
                try await store.receiveEdit(channelMessageId: "42:update:1", text: "地址没填错", inboxId: inbox.id, receiptKey: "update:2"))
            #expect(edit.message.systemEvent == .edited(message: original.id, text: "地址没填错"))
            #expect(edit.message.author == .contact(try #require(first.contact?.id)))
            #expect(try await store.receiveEdit(channelMessageId: "42:update:1", text: "x", inboxId: inbox.id, receiptKey: "update:2") == nil)
            #expect(try await store.receiveEdit(channelMessageId: "42:404", text: "x", inboxId: inbox.id, receiptKey: "update:3") == nil)
            let texts = try await store.messages(conversationId: original.conversationId, since: 0, limit: 10).map(\.text)
            #expect(texts == ["地址填错了", "edited \(original.id) 地址没填错"])
        }
    }

    @Test(arguments: TestBackend.available)
    func aBurstOfOneUpdateFromANewCustomerStoresItOnce(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.createTelegramInbox(name: "Telegram", bot: Self.bot(7003, "kefu_bot"), audit: nil)
            let outcomes = try await withThrowingTaskGroup(of: ChannelReceiveOutcome.self) { group in
                for _ in 0..<12 { group.addTask { try await store.receive(Self.inbound("update:9", from: 77, chat: 77), inboxId: inbox.id, reopenWindow: 86400) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { !$0.duplicate }.count == 1)
            let conversation = try #require(outcomes.first { !$0.duplicate }?.conversation)
            #expect(try await store.messages(conversationId: conversation.id, since: 0, limit: 20).count == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func botsAreUniqueAndOffsetsOnlyMoveForward(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.createTelegramInbox(name: "Telegram", bot: Self.bot(7004, "kefu_bot"), audit: nil)
            await #expect(throws: StoreError.conflict("telegram bot")) {
                _ = try await store.createTelegramInbox(name: "Again", bot: Self.bot(7004, "kefu_bot"), audit: nil)
            }
            #expect(try await store.listInboxes().count == 1)
            try await store.advanceTelegramOffset(inboxId: inbox.id, to: 50)
            try await store.advanceTelegramOffset(inboxId: inbox.id, to: 40)
            #expect(try await store.telegramBot(inboxId: inbox.id)?.updateOffset == 50)
            #expect(try await store.setTelegramMode(inboxId: inbox.id, mode: "polling") == nil)
            #expect(try await store.setTelegramMode(inboxId: inbox.id, mode: "webhook") == "polling")
            let bot = try #require(try await store.telegramBot(inboxId: inbox.id))
            #expect(bot.tokenSealed == "sealed-token" && bot.mode == "webhook")
        }
    }

    @Test(arguments: TestBackend.available)
    func deliveriesAreQueuedOnceLeasedAndKeepTheirSentParts(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend, now: { clock.now }) { store in
            let inbox = try await store.createTelegramInbox(name: "Telegram", bot: Self.bot(7005, "kefu_bot"), audit: nil)
            let payload = ChannelPayload(text: "您好", files: [.init(sha256: String(repeating: "a", count: 64), contentType: "image/png", filename: "a.png")])
            let new = NewChannelDelivery(kind: .notice, inboxId: inbox.id, dedupKey: "notice:1", target: "42", payload: payload)
            let (first, created) = try await store.enqueueDelivery(new)
            #expect(created && first.payload == payload && first.status == .queued)
            #expect(try await store.enqueueDelivery(new).created == false)

            let claimed = try await store.claimDueDeliveries(inboxKind: .telegram, now: clock.now, lease: 60, limit: 10)
            #expect(claimed.map(\.id) == [first.id])
            #expect(try await store.claimDueDeliveries(inboxKind: .telegram, now: clock.now, lease: 60, limit: 10).isEmpty)
            #expect(try await store.claimDueDeliveries(inboxKind: .email, now: clock.now.addingTimeInterval(120), lease: 60, limit: 10).isEmpty)
            try await store.markDeliveryPart(id: first.id, part: "text:0", channelId: "501")

            // The sender died: after the lease it is taken again, with the part it had sent.
            clock.advance(by: 61)
            let retaken = try await store.claimDueDeliveries(inboxKind: .telegram, now: clock.now, lease: 60, limit: 10)
            #expect(retaken.first?.sentParts == ["text:0": "501"] && retaken.first?.attempts == 2)
            // The first sender wakes up late: the delivery is someone else's now.
            #expect(try await !store.markDeliverySent(claimed[0], at: clock.now))
            #expect(try await store.deferDelivery(retaken[0], until: clock.now.addingTimeInterval(30)))
            #expect(try await store.delivery(id: first.id)?.attempts == 1)
            #expect(try await !store.markDeliveryFailed(claimed[0], error: "late"))
            #expect(try await store.claimDueDeliveries(inboxKind: .telegram, now: clock.now, lease: 60, limit: 10).isEmpty)
            clock.advance(by: 31)
            let third = try await store.claimDueDeliveries(inboxKind: .telegram, now: clock.now, lease: 60, limit: 10)
            #expect(third.count == 1)
            #expect(try await store.markDeliverySent(third[0], at: clock.now))
            // Stalled senders' retries do not put a sent delivery back.
            #expect(try await !store.markDeliveryRetry(retaken[0], error: "timed out", nextAttemptAt: clock.now))
            #expect(try await !store.markDeliveryRetry(claimed[0], error: "timed out", nextAttemptAt: clock.now))
            #expect(try await store.delivery(id: first.id)?.status == .sent)
        }
    }
}
