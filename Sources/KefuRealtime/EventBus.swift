import Foundation
import KefuCore
import Synchronization

/// Where stored conversation events are announced and where live views listen. The
/// conversations service is the only publisher; sockets subscribe. `EventHub` is the
/// in-process bus; several instances on one PostgreSQL will use a bus that wakes the others
/// with LISTEN/NOTIFY and reads the events from the store, behind this same interface.
///
/// The guarantee callers rely on, whatever the implementation: a subscriber gets every event
/// published after `subscribe` returned, in publication order per conversation, or its stream
/// ends with `EventHubError.overflow` (it then replays from the store by `seq`). Never a gap.
public protocol EventBus: Sendable {
    func publish(_ event: ConversationEvent)
    func subscribe(_ topics: Set<EventTopic>) -> AsyncThrowingStream<ConversationEvent, any Error>
    /// Tells the other instances that the setting `key` was saved (they forget their copies).
    func settingChanged(_ key: String)
    /// Runs `handler` with each key another instance announced.
    func whenSettingChanges(_ handler: @escaping @Sendable (String) async -> Void)
}

extension EventBus {
    /// One instance: whoever saved a setting has its own copy up to date; nobody else to tell.
    public func settingChanged(_ key: String) {}
    public func whenSettingChanges(_ handler: @escaping @Sendable (String) async -> Void) {}
}

extension EventHub: EventBus {}

/// Which agents are connected and taking chats: in memory with one instance (`PresenceRegistry`),
/// shared through the database by several (`SharedPresence`).
public protocol PresenceTracking: Sendable {
    func connected(_ agent: AgentID)
    func disconnected(_ agent: AgentID)
    func setAway(_ agent: AgentID, _ away: Bool)
    func status(_ agent: AgentID) -> PresenceStatus
    /// Agents taking chats right now, in a stable order.
    func onlineAgents() -> [AgentID]
}

extension PresenceRegistry: PresenceTracking {}
