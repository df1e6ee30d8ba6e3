import Foundation
import KefuConversations
import KefuCore
import KefuStore
import ServiceLifecycle

/// One kind of place customers reach support (live chat, email; Telegram and the API channel
/// next). A channel turns its inbound traffic into calls on the conversations service (its own
/// listeners, webhooks or sockets do that), carries agents' replies back out, and names the
/// long-running parts it needs. The registry dispatches by inbox kind, so a new channel is a
/// new folder beside Email/ and Webchat/ plus one line in the composition root.
public protocol Channel: Sendable {
    /// The inboxes this channel serves.
    var kind: InboxKind { get }

    /// Carries an agent's stored reply in one of this channel's conversations to the customer
    /// (queued durably; never sent twice for one message).
    func deliver(_ reply: Message, in conversation: Conversation, inbox: Inbox) async throws

    /// Listeners, senders and pollers, run in the application's service group.
    var services: [any Service] { get }

    /// Carries a satisfaction survey to the customer, queued durably and once per survey.
    func deliverSurvey(_ invitation: SurveyInvitation) async throws
}

extension Channel {
    /// The widget and the API channel need nothing: the survey's history line and webhook event do it.
    public func deliverSurvey(_ invitation: SurveyInvitation) async throws {}
}

/// The channels Kefu runs, by inbox kind: agents' replies go to the channel of their inbox.
public struct ChannelRegistry: ReplyDelivery, SurveyDelivery {
    public typealias Repositories = InboxRepository & ConversationRepository

    let store: any Repositories
    let channels: [InboxKind: any Channel]

    public init(store: any Repositories, channels: [any Channel]) {
        self.store = store
        self.channels = Dictionary(channels.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func channel(for kind: InboxKind) -> (any Channel)? { channels[kind] }

    public func deliver(_ reply: AppendResult) async throws {
        guard let inbox = try await store.inbox(id: reply.inboxId), let channel = channels[inbox.kind],
            let conversation = try await store.conversation(id: reply.message.conversationId)
        else { return }
        try await channel.deliver(reply.message, in: conversation, inbox: inbox)
    }

    public func deliverSurvey(_ invitation: SurveyInvitation) async throws {
        try await channels[invitation.context.inbox.kind]?.deliverSurvey(invitation)
    }

    /// Every channel's long-running parts.
    public var services: [any Service] { channels.values.sorted { $0.kind.rawValue < $1.kind.rawValue }.flatMap(\.services) }
}
