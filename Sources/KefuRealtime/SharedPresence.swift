import Foundation
import KefuCore
import KefuStore
import Logging
import ServiceLifecycle
import Synchronization

/// Presence across every instance on one database: an agent is online when a console of theirs
/// is open on any live instance (or closed within the grace period) and they have not set
/// themselves away. Each instance counts its own consoles in memory, writes them to the
/// database when they change, and reads the others' every `refreshEvery`; an instance that
/// stops writing its heartbeat for `aliveFor` (killed) no longer counts. Away is one choice per
/// agent, stored, so it holds on every instance and across restarts.
///
/// Reads never wait for the database: a console opened on another instance is seen here within
/// `refreshEvery`, one opened here at once.
public final class SharedPresence: PresenceTracking, Service, Sendable {
    struct Others: Sendable {
        var connections: [AgentConnections] = []
        var away: Set<AgentID> = []
        /// Away choices made here and not yet written (they win over what was read meanwhile).
        var pendingAway: [AgentID: Bool] = [:]
    }

    public let instance: String
    let local: PresenceRegistry
    let store: any InstanceStateRepository
    let grace: TimeInterval
    let refreshEvery: Duration
    let aliveFor: TimeInterval
    let logger: Logger
    let now: @Sendable () -> Date
    private let others = Mutex(Others())
    /// What this instance last wrote about its consoles (written again only when it changes).
    private let saved = Mutex<[AgentConnections]?>(nil)
    private let (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    public init(
        instance: String, store: any InstanceStateRepository, grace: TimeInterval = 30, refreshEvery: Duration = .seconds(1),
        aliveFor: TimeInterval = 20, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.instance = instance
        self.local = PresenceRegistry(grace: grace, now: now)
        self.store = store
        self.grace = grace
        self.refreshEvery = refreshEvery
        self.aliveFor = aliveFor
        self.logger = logger
        self.now = now
    }

    public func connected(_ agent: AgentID) {
        local.connected(agent)
        changed.yield()
    }

    public func disconnected(_ agent: AgentID) {
        local.disconnected(agent)
        changed.yield()
    }

    public func setAway(_ agent: AgentID, _ away: Bool) {
        others.withLock { others in
            others.pendingAway[agent] = away
            if away { others.away.insert(agent) } else { others.away.remove(agent) }
        }
        changed.yield()
    }

    public func status(_ agent: AgentID) -> PresenceStatus {
        let (connected, away) = everyone()
        guard connected.contains(agent) else { return .offline }
        return away.contains(agent) ? .away : .online
    }

    public func onlineAgents() -> [AgentID] {
        let (connected, away) = everyone()
        return connected.subtracting(away).sorted { $0.rawValue < $1.rawValue }
    }

    /// Agents with a console here or on another live instance (within the grace), and who is away.
    private func everyone() -> (connected: Set<AgentID>, away: Set<AgentID>) {
        let date = now()
        var connected = Set(local.connections().filter { isConnected($0.value.count, $0.value.lastDisconnect, at: date) }.keys)
        let away = others.withLock { others in
            for entry in others.connections where isConnected(entry.connections, entry.lastDisconnectAt, at: date) {
                connected.insert(entry.agentId)
            }
            return others.away
        }
        return (connected, away)
    }

    private func isConnected(_ count: Int, _ lastDisconnect: Date?, at date: Date) -> Bool {
        count > 0 || lastDisconnect.map { date.timeIntervalSince($0) < grace } == true
    }

    // MARK: Keeping in step

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.refreshEvery)
                    self.changed.yield()
                }
            }
            group.addTask {
                for await _ in self.changes { await self.sync() }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        // Its consoles are closed (the HTTP server stops first): the others stop counting them now.
        let (store, instance) = (store, instance)
        do { try await evenIfCancelled { try await store.removeInstance(instance) } } catch {
            logger.warning("presence: this instance's row stays until it ages out", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// Writes this instance's heartbeat, consoles and away choices, then reads the others'.
    public func sync() async {
        do {
            let date = now()
            try await store.heartbeat(instance: instance, at: date)
            let mine = local.connections().map { AgentConnections(agentId: $0.key, connections: $0.value.count, lastDisconnectAt: $0.value.lastDisconnect) }
                .sorted { $0.agentId.rawValue < $1.agentId.rawValue }
            if saved.withLock({ $0 != mine }) {
                try await store.saveAgentConnections(instance: instance, mine)
                saved.withLock { $0 = mine }
            }
            let pending = others.withLock { $0.pendingAway }
            for (agent, away) in pending { try await store.setAgentAway(agent, away: away, at: date) }
            let connections = try await store.agentConnections(aliveSince: date.addingTimeInterval(-aliveFor), excluding: instance)
            let away = try await store.agentsAway()
            others.withLock { others in
                for (agent, choice) in pending where others.pendingAway[agent] == choice { others.pendingAway[agent] = nil }
                var merged = away
                for (agent, choice) in others.pendingAway { if choice { merged.insert(agent) } else { merged.remove(agent) } }
                others = Others(connections: connections, away: merged, pendingAway: others.pendingAway)
            }
        } catch {
            logger.warning("presence not shared this round", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
