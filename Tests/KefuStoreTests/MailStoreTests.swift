import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@Suite struct MailStoreTests {
    static func mail(
        _ id: String, from: String? = "li.wei@example.cn", subject: String = "提现被冻结", text: String = "请帮忙", threadIds: [String] = [],
        tokens: [String] = [], number: Int64? = nil, files: [InboundMail.File] = []
    ) -> InboundMail {
        InboundMail(
            messageId: id, threadIds: threadIds, replyTokens: tokens, conversationNumber: number, fromAddress: from, fromName: "李伟",
            subject: subject, text: text, files: files, rawSha256: String(repeating: "ab", count: 32), size: 100, envelopeTo: ["support@kefu.example"],
            locale: "zh-CN")
    }

    @Test(arguments: TestBackend.available)
    func aMailBecomesAConversationOnceAndRepliesJoinIt(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.supportInbox(emailAddress: "Support@Kefu.example")
            #expect(try await store.inbox(emailAddress: "support@kefu.example")?.id == inbox.id)

            let file = InboundMail.File(sha256: String(repeating: "cd", count: 32), size: 49, contentType: "image/png", filename: "截图.png")
            let first = try await store.ingestMail(Self.mail("m1@example.cn", files: [file]), inboxId: inbox.id, reopenWindow: 86400)
            #expect(!first.duplicate && first.newConversation)
            let conversation = try #require(first.conversation)
            #expect(conversation.subject == "提现被冻结")
            #expect(first.contact?.email == "li.wei@example.cn")
            let message = try #require(first.appended?.message)
            #expect(message.channelMessageId == "m1@example.cn")
            #expect(message.attachments.map(\.filename) == ["截图.png"])
            #expect(try await store.mails(conversationId: conversation.id).map(\.messageId) == ["m1@example.cn"])

            // The same Message-ID again (a retried delivery) adds nothing.
            let again = try await store.ingestMail(Self.mail("m1@example.cn"), inboxId: inbox.id, reopenWindow: 86400)
            #expect(again.duplicate && again.mailId == first.mailId)
            #expect(try await store.messages(conversationId: conversation.id, since: 0, limit: 10).count == 1)

            // A reply referencing it joins the conversation, as does one to the reply address.
            let reply = try await store.ingestMail(Self.mail("m2@example.cn", threadIds: ["unknown@x", "m1@example.cn"]), inboxId: inbox.id, reopenWindow: 86400)
            #expect(reply.conversation?.id == conversation.id && !reply.newConversation)
            let thread = try await store.emailThread(conversationId: conversation.id, customerAddress: "ignored@example.cn")
            #expect(thread.customerAddress == "li.wei@example.cn")
            let viaToken = try await store.ingestMail(
                Self.mail("m3@example.cn", from: "colleague@example.cn", tokens: [thread.replyToken]), inboxId: inbox.id, reopenWindow: 86400)
            #expect(viaToken.conversation?.id == conversation.id)
            #expect(try await store.threadMessageIds(conversationId: conversation.id) == ["m1@example.cn", "m2@example.cn", "m3@example.cn"])

            // "[#number]" only counts from the conversation's own customer.
            let stranger = try await store.ingestMail(
                Self.mail("m4@example.cn", from: "eve@example.cn", subject: "Re: [#\(conversation.number)]", number: conversation.number),
                inboxId: inbox.id, reopenWindow: 86400)
            #expect(stranger.newConversation)
            let owner = try await store.ingestMail(
                Self.mail("m5@example.cn", subject: "Re: [#\(conversation.number)]", number: conversation.number), inboxId: inbox.id,
                reopenWindow: 86400)
            #expect(owner.conversation?.id == conversation.id)

            // A mail without a readable sender is still kept, as a contact without an address.
            let anonymous = try await store.ingestMail(Self.mail("m6@example.cn", from: nil, text: ""), inboxId: inbox.id, reopenWindow: 86400)
            #expect(anonymous.newConversation)
            #expect(anonymous.appended?.message.text == "(提现被冻结)")
        }
    }

    @Test(arguments: TestBackend.available)
    func aResolvedConversationReopensWithinTheWindowOnly(_ backend: TestBackend) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        try await withTestStore(backend, now: { clock.now }) { store in
            let inbox = try await store.createInbox(name: "Mail", kind: .email, audit: nil)
            let first = try await store.ingestMail(Self.mail("r1@example.cn"), inboxId: inbox.id, reopenWindow: 7 * 86400)
            let id = try #require(first.conversation?.id)
            _ = try await store.updateConversation(id: id, change: .init(status: .resolved), audit: nil)
            clock.advance(by: 3 * 86400)
            let back = try await store.ingestMail(Self.mail("r2@example.cn", threadIds: ["r1@example.cn"]), inboxId: inbox.id, reopenWindow: 7 * 86400)
            #expect(back.conversation?.id == id && back.reopened)
            #expect(back.conversation?.status == .open)
            #expect(back.reopenMessage?.text == "status:open")
            _ = try await store.updateConversation(id: id, change: .init(status: .resolved), audit: nil)
            clock.advance(by: 30 * 86400)
            let late = try await store.ingestMail(Self.mail("r3@example.cn", threadIds: ["r2@example.cn"]), inboxId: inbox.id, reopenWindow: 7 * 86400)
            #expect(late.newConversation)
            #expect(try await store.conversation(id: id)?.status == .resolved)
        }
    }

    @Test(arguments: TestBackend.available)
    func parallelDeliveriesOfOneMailStoreItOnce(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let inbox = try await store.createInbox(name: "Mail", kind: .email, audit: nil)
            let outcomes = try await withThrowingTaskGroup(of: MailIngestOutcome.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await store.ingestMail(Self.mail("same@example.cn", from: "new.sender@example.cn"), inboxId: inbox.id, reopenWindow: 0) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { !$0.duplicate }.count == 1)
            #expect(Set(outcomes.map(\.mailId)).count == 1)
            #expect(try await store.listConversations(filter: .init(), after: nil, limit: 10).items.count == 1)
        }
    }

    /// Two instances queue the same mail at once (a sweep on each): one row, no error.
    @Test(arguments: TestBackend.available)
    func parallelQueueingOfOneMailMakesOneRow(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let results = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let (mail, created) = try await store.enqueueMail(
                            NewOutboxMail(
                                kind: .reply, dedupKey: "same", conversationId: nil, messageRef: nil, mailFrom: "support@kefu.example",
                                recipients: ["li.wei@example.cn"], messageId: "kefu.same@kefu.example", subject: "Re: x",
                                rawSha256: String(repeating: "ef", count: 32), local: false))
                        return (mail.id, created)
                    }
                }
                return try await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
            }
            #expect(Set(results.map(\.0)).count == 1)
            #expect(results.filter(\.1).count == 1)
        }
    }

    /// Several instances' senders claim at the same moment: each mail goes to exactly one of them.
    @Test(arguments: TestBackend.available)
    func parallelClaimsTakeEachMailOnce(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            for index in 0..<120 {
                _ = try await store.enqueueMail(
                    NewOutboxMail(
                        kind: .reply, dedupKey: "k\(index)", conversationId: nil, messageRef: nil, mailFrom: "support@kefu.example",
                        recipients: ["li.wei@example.cn"], messageId: "kefu.k\(index)@kefu.example", subject: "Re: x",
                        rawSha256: String(repeating: "ef", count: 32), local: false))
            }
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        var mine: [String] = []
                        while case let batch = try await store.claimDueMail(now: Date(), lease: 600, limit: 7), !batch.isEmpty {
                            mine += batch.map(\.id)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(claims.count == 120)
            #expect(Set(claims).count == 120)
        }
    }

    @Test(arguments: TestBackend.available)
    func theOutboxSendsEachMailOnceUnderLeases(_ backend: TestBackend) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        try await withTestStore(backend, now: { clock.now }) { store in
            func draft(_ key: String, local: Bool = false) -> NewOutboxMail {
                NewOutboxMail(
                    kind: .reply, dedupKey: key, conversationId: nil, messageRef: nil, mailFrom: "support@kefu.example",
                    recipients: ["li.wei@example.cn"], messageId: "kefu.\(key)@kefu.example", subject: "Re: x",
                    rawSha256: String(repeating: "ef", count: 32), local: local)
            }
            let (queued, created) = try await store.enqueueMail(draft("a"))
            #expect(created && queued.status == .queued)
            let (same, createdAgain) = try await store.enqueueMail(draft("a"))
            #expect(!createdAgain && same.id == queued.id)
            _ = try await store.enqueueMail(draft("local", local: true))

            let claimed = try await store.claimDueMail(now: clock.now, lease: 60, limit: 10)
            #expect(claimed.map(\.id) == [queued.id])
            #expect(claimed.first?.attempts == 1)
            // Under its lease nobody else takes it; after the lease (a crashed sender) it goes again.
            #expect(try await store.claimDueMail(now: clock.now.addingTimeInterval(30), lease: 60, limit: 10).isEmpty)
            let retaken = try await store.claimDueMail(now: clock.now.addingTimeInterval(61), lease: 60, limit: 10)
            #expect(retaken.map(\.id) == [queued.id])
            // The first claim's sender wakes up late: the mail is someone else's now, and its outcome is ignored.
            #expect(try await !store.markMailSent(claimed[0], at: clock.now))
            #expect(try await store.outboxMail(id: queued.id)?.status == .sending)
            #expect(try await store.markMailRetry(retaken[0], error: "451 try later", nextAttemptAt: clock.now.addingTimeInterval(300)))
            #expect(try await store.claimDueMail(now: clock.now.addingTimeInterval(100), lease: 60, limit: 10).isEmpty)
            let third = try await store.claimDueMail(now: clock.now.addingTimeInterval(301), lease: 60, limit: 10)
            #expect(third.count == 1)
            #expect(try await store.markMailSent(third[0], at: clock.now))
            // A stalled earlier sender's retry or failure does not put a sent mail back.
            #expect(try await !store.markMailRetry(retaken[0], error: "timed out", nextAttemptAt: clock.now))
            #expect(try await !store.markMailFailed(claimed[0], error: "timed out"))
            #expect(try await !store.markMail(retaken[0], status: .skipped))
            #expect(try await store.outboxMail(id: queued.id)?.status == .sent)
            #expect(try await store.claimDueMail(now: clock.now.addingTimeInterval(10_000), lease: 60, limit: 10).isEmpty)
            #expect(try await store.outbox(status: .sent, limit: 10).first?.attempts == 3)
            #expect(try await store.outbox(status: .local, limit: 10).count == 1)
        }
    }
}
