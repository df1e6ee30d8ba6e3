import Foundation
import KefuCore
import KefuRealtime
import KefuStore
import Synchronization

/// Gives a new chat to the next agent who is online and has room (round robin, per-agent
/// capacity). When everyone is away, offline or full, the chat waits unassigned in the inbox.
final class AutoAssigner: Sendable {
    let store: any ConversationController.Repositories
    let presence: PresenceRegistry
    let hub: EventHub
    private let robin = Mutex(RoundRobin())

    init(store: any ConversationController.Repositories, presence: PresenceRegistry, hub: EventHub) {
        self.store = store
        self.presence = presence
        self.hub = hub
    }

    @discardableResult
    func assign(_ conversation: Conversation) async throws -> AgentID? {
        let online = presence.onlineAgents()
        guard !online.isEmpty else { return nil }
        let agents = try await store.listAgents().filter { $0.status == .active && online.contains($0.id) }
        let capacity = Dictionary(uniqueKeysWithValues: agents.map { ($0.id, $0.chatCapacity) })
        let load = try await store.openLoad()
        let candidates = online.filter { capacity[$0] != nil }
        guard let pick = robin.withLock({ $0.next(online: candidates, load: load, capacity: capacity) }) else { return nil }
        let update = try await store.updateConversation(
            id: conversation.id, change: ConversationChange(assigneeId: .some(pick)), actor: .system,
            audit: AuditEvent(
                actor: .system, action: "conversation.auto_assigned", subjectKind: "conversation", subjectId: conversation.id.rawValue,
                detail: ["assigneeId": pick.rawValue]))
        if let history = update.historyMessage {
            hub.publish(.message(history, contactId: conversation.contactId, inboxId: conversation.inboxId))
        }
        return pick
    }
}
