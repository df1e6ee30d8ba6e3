import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@Suite struct ConversationStoreTests {
    static func seed(_ store: SQLStore) async throws -> (Inbox, Contact) {
        let inbox = try await store.createInbox(name: "Website", kind: .webchat, audit: nil)
        let contact = try await store.createContact(name: "Li Wei", email: "li.wei@example.com", locale: "zh-CN")
        return (inbox, contact)
    }

    @Test(arguments: TestBackend.available)
    func conversationsGetIncreasingNumbers(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let (inbox, contact) = try await Self.seed(store)
            let first = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: "忘记密码")
            let second = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil)
            #expect(first.number == 1001)
            #expect(second.number == first.number + 1)
            #expect(first.status == .open)
            let other = try await store.createContact(name: "Sarah", email: nil, locale: "en")
            let found = try await store.contacts(ids: [contact.id, other.id, contact.id, .generate()])
            #expect(Set(found.keys) == [contact.id, other.id])
            #expect(found[other.id]?.name == "Sarah")
            let read = try await store.conversation(id: first.id)
            #expect(read?.subject == "忘记密码")
            #expect(read?.lastSeq == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func messagesGetConsecutiveSequenceNumbersUnderConcurrency(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let (inbox, contact) = try await Self.seed(store)
            let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        _ = try await store.appendMessage(
                            conversationId: conversation.id,
                            NewMessage(direction: .incoming, author: .contact(contact.id), text: "message \(index)"))
                    }
                }
                try await group.waitForAll()
            }
            let messages = try await store.messages(conversationId: conversation.id, since: 0, limit: 100)
            #expect(messages.map(\.seq) == Array(1...40))
            #expect(Set(messages.map(\.text)).count == 40)
            let updated = try await store.conversation(id: conversation.id)
            #expect(updated?.lastSeq == 40)
            let tail = try await store.messages(conversationId: conversation.id, since: 37, limit: 100)
            #expect(tail.map(\.seq) == [38, 39, 40])
        }
    }

    @Test(arguments: TestBackend.available)
    func aResentClientMessageIdIsStoredOnce(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let (inbox, contact) = try await Self.seed(store)
            let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil)
            let message = NewMessage(direction: .incoming, author: .contact(contact.id), text: "我的提现被冻结了", clientMessageId: "c-1")
            let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
                for _ in 0..<10 { group.addTask { try await store.appendMessage(conversationId: conversation.id, message) } }
                return try await group.reduce(into: [AppendResult]()) { $0.append($1) }
            }
            #expect(results.filter(\.created).count == 1)
            #expect(Set(results.map(\.message.id)).count == 1)
            #expect(Set(results.map(\.message.seq)) == [1])
            let stored = try await store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(stored.count == 1)
            #expect(try await store.conversation(id: conversation.id)?.lastSeq == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func appendingToAnUnknownConversationChangesNothing(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            await #expect(throws: StoreError.notFound("conversation")) {
                try await store.appendMessage(
                    conversationId: .generate(), NewMessage(direction: .incoming, author: .system, text: "hi"))
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func listIsFilteredAndPagedByCursor(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let (inbox, contact) = try await Self.seed(store)
            let other = try await store.createInbox(name: "Support mail", kind: .email, audit: nil)
            let agent = try await store.createAgent(email: "a@example.com", name: "A", role: .agent, passwordHash: "x", mustChangePassword: false, audit: nil)
            var created: [Conversation] = []
            for index in 0..<7 {
                let conversation = try await store.createConversation(
                    inboxId: index % 2 == 0 ? inbox.id : other.id, contactId: contact.id, subject: "#\(index)")
                created.append(conversation)
            }
            _ = try await store.updateConversation(
                id: created[0].id, change: .init(status: .resolved, assigneeId: .some(agent.id), labels: ["kyc", "withdrawal"]),
                audit: nil)

            var seen: [ConversationID] = []
            var cursor: PageCursor?
            repeat {
                let page = try await store.listConversations(filter: .init(), after: cursor, limit: 3)
                #expect(page.items.count <= 3)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.count == 7)
            #expect(Set(seen) == Set(created.map(\.id)))

            let resolved = try await store.listConversations(filter: .init(status: .resolved), after: nil, limit: 10)
            #expect(resolved.items.map(\.id) == [created[0].id])
            #expect(resolved.items.first?.labels == ["kyc", "withdrawal"])
            let mine = try await store.listConversations(filter: .init(assigneeId: .some(agent.id)), after: nil, limit: 10)
            #expect(mine.items.map(\.id) == [created[0].id])
            let unassigned = try await store.countConversations(filter: .init(assigneeId: .some(nil)))
            #expect(unassigned == 6)
            // Per status in one query, whatever status the filter names; each matches its COUNT.
            let byStatus = try await store.countConversationsByStatus(filter: .init(status: .resolved, assigneeId: .some(nil)))
            for status in ConversationStatus.allCases {
                var one = ConversationFilter(assigneeId: .some(nil))
                one.status = status
                #expect(byStatus[status] ?? 0 == (try await store.countConversations(filter: one)), "\(status)")
            }
            #expect(byStatus.values.reduce(0, +) == 6)
            #expect(try await store.countConversationsByStatus(filter: .init()) == [.open: 6, .resolved: 1])
            let mail = try await store.listConversations(filter: .init(inboxId: other.id), after: nil, limit: 10)
            #expect(mail.items.count == 3)
        }
    }

    @Test(arguments: TestBackend.available)
    func auditEventsCommitWithTheChange(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let (inbox, contact) = try await Self.seed(store)
            let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil)
            _ = try await store.updateConversation(
                id: conversation.id, change: .init(status: .pending),
                audit: .init(actor: .system, action: "conversation.status", subjectKind: "conversation", subjectId: conversation.id.rawValue, detail: ["status": "pending"]))
            // A failing change (unknown id) must not leave an audit line behind.
            await #expect(throws: StoreError.notFound("conversation")) {
                try await store.updateConversation(
                    id: .generate(), change: .init(status: .resolved),
                    audit: .init(actor: .system, action: "conversation.status", subjectKind: "conversation"))
            }
            let entries = try await store.auditEntries(before: nil, limit: 10)
            #expect(entries.count == 1)
            #expect(entries.first?.detail == ["status": "pending"])
        }
    }

    @Test(arguments: TestBackend.available)
    func changesByAnAgentLeaveASystemMessageInTheSameTransaction(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let (inbox, contact) = try await Self.seed(store)
            let agent = try await store.createAgent(email: "h@example.com", name: "H", role: .agent, passwordHash: "x", mustChangePassword: false, audit: nil)
            let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil)
            let updated = try await store.updateConversation(
                id: conversation.id, change: .init(status: .resolved, assigneeId: .some(agent.id)), actor: .agent(agent.id), audit: nil)
            #expect(updated.conversation.lastSeq == 1)
            #expect(updated.historyMessage?.seq == 1)
            // Repeating the same change records nothing new; priority alone is not history.
            _ = try await store.updateConversation(
                id: conversation.id, change: .init(status: .resolved, priority: .high), actor: .agent(agent.id), audit: nil)
            let history = try await store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(history.map(\.text) == ["status:resolved assignee:\(agent.id)"])
            #expect(history.first?.direction == .system)
            #expect(try await store.conversation(id: conversation.id)?.lastMessageAt == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func attachmentsLinkToOneMessageOnly(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let (inbox, contact) = try await Self.seed(store)
            let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: nil)
            let attachment = try await store.createAttachment(
                sha256: String(repeating: "a", count: 64), size: 3, contentType: "image/png", filename: "shot.png", uploadedBy: .contact(contact.id))
            let stranger = try await store.createContact(name: "Eve", email: nil, locale: nil)
            #expect(try await store.attachment(id: attachment.id, visibleTo: contact.id) != nil)
            #expect(try await store.attachment(id: attachment.id, visibleTo: stranger.id) == nil)
            // Only the uploader can attach it.
            await #expect(throws: StoreError.conflict("attachment missing or already used")) {
                try await store.appendMessage(
                    conversationId: conversation.id,
                    NewMessage(direction: .incoming, author: .contact(stranger.id), text: "mine now", attachmentIds: [attachment.id]))
            }
            let first = try await store.appendMessage(
                conversationId: conversation.id,
                NewMessage(direction: .incoming, author: .contact(contact.id), text: "", attachmentIds: [attachment.id]))
            #expect(first.message.attachments.map(\.id) == [attachment.id])
            await #expect(throws: StoreError.conflict("attachment missing or already used")) {
                try await store.appendMessage(
                    conversationId: conversation.id,
                    NewMessage(direction: .incoming, author: .contact(contact.id), text: "again", attachmentIds: [attachment.id]))
            }
            let messages = try await store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(messages.count == 1)
            #expect(messages[0].attachments.first?.filename == "shot.png")
        }
    }
}
