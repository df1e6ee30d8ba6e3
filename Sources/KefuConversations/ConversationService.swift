import Foundation
import KefuCore
import KefuRealtime
import KefuSafety
import KefuStore

/// Carries an agent's stored reply to the customer's channel (mail today; Telegram and the API
/// channel next). The channel registry implements it; the conversations service only calls it.
public protocol ReplyDelivery: Sendable {
    /// Queues the reply durably for its channel. The reply is stored whatever happens here: a
    /// channel sweeps for replies it has not queued (a crash between the two).
    func deliver(_ reply: AppendResult) async throws
}

/// The one place a conversation changes: started, written to, changed, read, typed in. Every
/// change is stored first and then published on the event bus, so a live view never shows what
/// the store does not have; nothing else publishes conversation events. The console, the API,
/// every channel and the timers call it, each with the actor as a value.
public struct ConversationService: Sendable {
    public typealias Repositories = ConversationRepository & MessageRepository & ContactRepository & AgentRepository & TeamRepository
        & MailRepository & ChannelThreadRepository & WebhookRepository & ServiceLevelRepository & SatisfactionRepository & AuditRepository

    public let store: any Repositories
    public let bus: any EventBus
    let presence: any PresenceTracking
    let delivery: (any ReplyDelivery)?
    /// Takes recovery phrases and private keys out of what customers write, before it is stored.
    public let secrets: SecretGuard

    public init(
        store: any Repositories, bus: any EventBus, presence: any PresenceTracking, delivery: (any ReplyDelivery)? = nil, secrets: SecretGuard = .standard
    ) {
        self.store = store
        self.bus = bus
        self.presence = presence
        self.delivery = delivery
        self.secrets = secrets
    }

    /// The same service handing agents' replies to `delivery` (the composition root builds the
    /// channels after the service they call).
    public func delivering(through delivery: any ReplyDelivery) -> ConversationService {
        ConversationService(store: store, bus: bus, presence: presence, delivery: delivery, secrets: secrets)
    }

    // MARK: - Start and send

    /// Opens a conversation with its labels and first message and, with `autoAssign`, gives it
    /// to the next agent online with room (round robin, per-agent capacity): one transaction.
    /// When nobody online has room, it waits unassigned in the inbox.
    public func start(_ start: ConversationStart, autoAssign: Bool) async throws -> StartedConversation {
        try Self.validate(start.firstMessage)
        var start = start
        let original = start.firstMessage.text
        var secretKinds = redactIncoming(&start.firstMessage)
        start.subject = start.subject.map { recut($0, from: original, stored: start.firstMessage.text, found: &secretKinds) }
        // Best effort, as assignment always was: not knowing who is online never costs the
        // customer's message (the chat then waits unassigned in the inbox).
        let choice = autoAssign ? ((try? await assignmentChoice()) ?? nil) : nil
        let started: StartedConversation
        do {
            started = try await store.startConversation(start, assign: choice)
        } catch let error as StoreError {
            throw Self.domainError(error)
        }
        publish(started.first.message, of: started.conversation)
        if let assignment = started.assignment { publish(assignment, of: started.conversation) }
        await deliver(started.first)
        if !secretKinds.isEmpty { await secretTakenOut(secretKinds, from: started.first.message, contact: started.conversation.contactId) }
        return started
    }

    /// Stores the message; publishes it the first time only (a resend with the same client id is
    /// the same message) and hands an agent's reply to its channel.
    public func send(_ message: NewMessage, to id: ConversationID) async throws -> AppendResult {
        try Self.validate(message)
        var message = message
        let secretKinds = redactIncoming(&message)
        let result: AppendResult
        do {
            result = try await store.appendMessage(conversationId: id, message)
        } catch let error as StoreError {
            throw Self.domainError(error)
        }
        guard result.created else { return result }
        publish(result.message, of: result)
        await deliver(result)
        if !secretKinds.isEmpty { await secretTakenOut(secretKinds, from: result.message, contact: result.contactId) }
        return result
    }

    // MARK: - Change

    /// Checks the assignee and team, then writes the change, its audit line and a system
    /// message for the history in one transaction, and publishes that message.
    public func change(_ change: ConversationChange, of id: ConversationID, by source: ActionSource) async throws -> Conversation {
        if case .some(.some(let assignee)) = change.assigneeId {
            // A disabled agent cannot take new conversations; to the caller it is not there.
            guard let agent = try await store.agent(id: assignee), agent.status == .active else { throw ConversationError.notFound("agent") }
        }
        if case .some(.some(let team)) = change.teamId, try await store.team(id: team) == nil { throw ConversationError.notFound("team") }
        guard !change.isEmpty else {
            guard let current = try await store.conversation(id: id) else { throw ConversationError.notFound("conversation") }
            return current
        }
        var detail: [String: String] = [:]
        if let team = change.teamId { detail["teamId"] = team?.rawValue ?? "none" }
        if let status = change.status { detail["status"] = status.rawValue }
        if let priority = change.priority { detail["priority"] = priority.rawValue }
        if let assignee = change.assigneeId { detail["assigneeId"] = assignee?.rawValue ?? "none" }
        if let labels = change.labels { detail["labels"] = labels.joined(separator: ",") }
        let update: ConversationUpdate
        do {
            update = try await store.updateConversation(
                id: id, change: change, actor: source.author,
                audit: source.audit("conversation.updated", subjectKind: "conversation", subjectId: id.rawValue, detail: detail))
        } catch StoreError.notFound(let what) {
            throw ConversationError.notFound(what)
        }
        if let history = update.historyMessage { publish(history, of: update.conversation) }
        return update.conversation
    }

    // MARK: - Reading and typing

    /// `reader` has seen the conversation up to `seq`: the other side gets a read mark (when the
    /// mark moved forward).
    public func markRead(_ conversation: Conversation, by reader: AuthorKind, upTo seq: Int64) async throws {
        guard try await store.markRead(conversationId: conversation.id, by: reader, upTo: seq) else { return }
        bus.publish(event(.read(reader, seq: seq), in: conversation))
    }

    /// Tells whoever watches that `author` is (not) typing; nothing is stored (an agent's typing
    /// is journaled for webhooks while any subscription listens, for apps on the API channel).
    public func typing(in conversation: Conversation, by author: Author, isTyping: Bool) async {
        bus.publish(event(.typing(author, isTyping: isTyping), in: conversation))
        guard author.kind == .agent, let agent = author.id else { return }
        try? await store.journalEvent(
            .conversationTyping, subject: conversation.id.rawValue, inboxId: conversation.inboxId,
            detail: ["agentId": agent, "isTyping": String(isTyping)])
    }

    // MARK: - What channels report

    /// Stores a received mail through its threading rules (new, appended or reopened
    /// conversation) and publishes what it added.
    public func receiveMail(_ mail: InboundMail, inboxId: InboxID, reopenWindow: TimeInterval) async throws -> MailIngestOutcome {
        var mail = mail
        var secretKinds = redact(&mail.subject).union(redact(&mail.text)).union(redact(&mail.fromName)).union(mail.secretsTakenOut)
        for index in mail.files.indices { secretKinds.formUnion(redact(&mail.files[index].filename)) }
        let outcome = try await store.ingestMail(mail, inboxId: inboxId, reopenWindow: reopenWindow)
        guard !outcome.duplicate, let appended = outcome.appended else { return outcome }
        if let reopen = outcome.reopenMessage { publish(reopen, of: appended) }
        publish(appended.message, of: appended)
        if !secretKinds.isEmpty {
            // Robots (auto-replies, bounces) are not answered, not even with the warning.
            await secretTakenOut(secretKinds, from: appended.message, contact: appended.contactId, locale: mail.locale, tellCustomer: mail.automatic == nil)
        }
        return outcome
    }

    /// Stores a customer's message from a channel without mail threading (Telegram, the API
    /// channel): once per receipt key, in the customer's open conversation of that thread, a
    /// recently resolved one reopened, or a new one; then publishes what it added.
    public func receive(_ inbound: InboundMessage, inboxId: InboxID, reopenWindow: TimeInterval) async throws -> ChannelReceiveOutcome {
        var inbound = inbound
        let original = inbound.text
        var secretKinds = redact(&inbound.text)
        inbound.subject = inbound.subject.map { recut($0, from: original, stored: inbound.text, found: &secretKinds) }
        secretKinds.formUnion(redact(&inbound.sender.name))
        for index in inbound.files.indices { secretKinds.formUnion(redact(&inbound.files[index].filename)) }
        let outcome = try await store.receive(inbound, inboxId: inboxId, reopenWindow: reopenWindow)
        guard !outcome.duplicate, let appended = outcome.appended else { return outcome }
        if let reopen = outcome.reopenMessage { publish(reopen, of: appended) }
        publish(appended.message, of: appended)
        if !secretKinds.isEmpty { await secretTakenOut(secretKinds, from: appended.message, contact: appended.contactId, locale: inbound.sender.locale) }
        return outcome
    }

    /// Records a customer's edit of a message their channel delivered earlier (the original
    /// stays in the history); nothing when Kefu never stored that message or saw this edit.
    @discardableResult
    public func receiveEdit(channelMessageId: String, text: String, inboxId: InboxID, receiptKey: String) async throws -> AppendResult? {
        var text = text
        let secretKinds = redact(&text)
        guard let result = try await store.receiveEdit(channelMessageId: channelMessageId, text: text, inboxId: inboxId, receiptKey: receiptKey)
        else { return nil }
        publish(result.message, of: result)
        if !secretKinds.isEmpty { await secretTakenOut(secretKinds, from: result.message, contact: result.contactId) }
        return result
    }

    /// Records something Kefu itself noticed (a reply's mail failed) in the history, once per
    /// `clientMessageId`, and publishes it.
    @discardableResult
    public func record(_ event: SystemEvent, in id: ConversationID, clientMessageId: String) async throws -> AppendResult {
        let result: AppendResult
        do {
            result = try await store.appendMessage(conversationId: id, .system(event, clientMessageId: clientMessageId))
        } catch StoreError.notFound(let what) {
            throw ConversationError.notFound(what)
        }
        if result.created { publish(result.message, of: result) }
        return result
    }

    /// A reply's delivery changed state (sent, retrying, failed): agents watching see it.
    public func deliveryChanged(in id: ConversationID, message: MessageID?, status: String) async {
        guard let conversation = try? await store.conversation(id: id) else { return }
        bus.publish(event(.delivery(message, status: status), in: conversation))
    }

    // MARK: - Helpers

    /// Who may get a new chat: agents online, active, by their capacity; the open load is read
    /// inside the start's transaction and the rotation picks among them.
    func assignmentChoice() async throws -> AssignmentChoice? {
        let online = presence.onlineAgents()
        guard !online.isEmpty else { return nil }
        let agents = try await store.listAgents().filter { $0.status == .active && online.contains($0.id) }
        let capacity = Dictionary(uniqueKeysWithValues: agents.map { ($0.id, $0.chatCapacity) })
        let candidates = online.filter { capacity[$0] != nil }
        guard !candidates.isEmpty else { return nil }
        // The rotation's place is kept in the database, so every instance continues it.
        return { conversation, load, last in
            var rotation = RoundRobin(lastAssigned: last)
            guard let pick = rotation.next(online: candidates, load: load, capacity: capacity) else { return nil }
            return AutoAssignment(
                agent: pick,
                audit: ActionSource.system.audit(
                    "conversation.auto_assigned", subjectKind: "conversation", subjectId: conversation.rawValue,
                    detail: ["assigneeId": pick.rawValue]))
        }
    }

    /// Only replies to the customer leave Kefu; notes, system lines and the customer's own
    /// messages never do. A reply that could not be queued now is queued by its channel's sweep.
    private func deliver(_ result: AppendResult) async {
        guard result.message.direction == .outgoing else { return }
        try? await delivery?.deliver(result)
    }

    private func publish(_ message: Message, of conversation: Conversation) {
        bus.publish(.message(message, contactId: conversation.contactId, inboxId: conversation.inboxId))
    }

    /// A message another step of this service stored (timers' history lines).
    func publishStored(_ message: Message, of conversation: Conversation) {
        publish(message, of: conversation)
    }

    /// A message in the conversation `stored` says it went to (its customer and inbox).
    private func publish(_ message: Message, of stored: AppendResult) {
        bus.publish(.message(message, contactId: stored.contactId, inboxId: stored.inboxId))
    }

    private func event(_ kind: ConversationEvent.Kind, in conversation: Conversation) -> ConversationEvent {
        ConversationEvent(conversationId: conversation.id, contactId: conversation.contactId, inboxId: conversation.inboxId, kind: kind)
    }

    /// The rules every message obeys, checked before anything is read or written.
    public static func validate(_ message: NewMessage) throws {
        if message.attachmentIds.count > 10 { throw ConversationError.invalid("attachmentIds", .tooLong(max: 10)) }
        do {
            try message.validate()
        } catch {
            throw ConversationError.invalid(error)
        }
    }

    /// When a message is stored, a conflict is an attachment that is unknown, someone else's or
    /// already sent: to the sender it does not exist.
    /// A row that cannot be read back stays a store error (a 500 with the detail in the log).
    static func domainError(_ error: StoreError) -> any Error {
        switch error {
        case .notFound(let what): ConversationError.notFound(what)
        case .conflict: ConversationError.notFound("attachment")
        case .undecodable: error
        }
    }
}
