import Foundation
import KefuCore
import Synchronization

/// Whether an agent can take a chat now.
public enum PresenceStatus: String, Sendable, Codable, CaseIterable {
    /// Connected and taking chats.
    case online
    /// Connected but not taking new chats (break, meeting).
    case away
    /// No console open.
    case offline
}

/// Which agents are here: an agent is online while at least one of their consoles is connected
/// (or was, within a short grace period that covers moving between pages) and they have not set
/// themselves away. In memory, per Kefu instance.
public final class PresenceRegistry: Sendable {
    private struct Entry: Sendable {
        var connections = 0
        var away = false
        var lastDisconnect: Date?
    }

    private let entries = Mutex<[AgentID: Entry]>([:])
    private let grace: TimeInterval
    private let now: @Sendable () -> Date

    public init(grace: TimeInterval = 30, now: @escaping @Sendable () -> Date = { Date() }) {
        self.grace = grace
        self.now = now
    }

    private func isConnected(_ entry: Entry, at date: Date) -> Bool {
        entry.connections > 0 || entry.lastDisconnect.map { date.timeIntervalSince($0) < grace } == true
    }

    /// Call when an agent's console connects; the returned token must be passed to `disconnected`.
    public func connected(_ agent: AgentID) {
        entries.withLock { $0[agent, default: Entry()].connections += 1 }
    }

    public func disconnected(_ agent: AgentID) {
        entries.withLock { entries in
            guard var entry = entries[agent] else { return }
            entry.connections = max(0, entry.connections - 1)
            entry.lastDisconnect = now()
            entries[agent] = entry
        }
    }

    /// The agent's own choice between taking chats and being away.
    public func setAway(_ agent: AgentID, _ away: Bool) {
        entries.withLock { $0[agent, default: Entry()].away = away }
    }

    public func status(_ agent: AgentID) -> PresenceStatus {
        let date = now()
        return entries.withLock { entries in
            guard let entry = entries[agent], isConnected(entry, at: date) else { return .offline }
            return entry.away ? .away : .online
        }
    }

    /// Each agent's open consoles here and when the last one closed (what other instances are told).
    public func connections() -> [AgentID: (count: Int, lastDisconnect: Date?)] {
        entries.withLock { $0.mapValues { ($0.connections, $0.lastDisconnect) } }
    }

    /// Agents taking chats right now, in a stable order.
    public func onlineAgents() -> [AgentID] {
        let date = now()
        return entries.withLock { entries in
            entries.filter { isConnected($0.value, at: date) && !$0.value.away }.map(\.key).sorted { $0.rawValue < $1.rawValue }
        }
    }
}

/// Round-robin choice of the next agent for a new chat among those online with room left.
public struct RoundRobin: Sendable, Equatable {
    public private(set) var lastAssigned: AgentID?

    public init(lastAssigned: AgentID? = nil) {
        self.lastAssigned = lastAssigned
    }

    /// The next candidate after the last one assigned whose open load is under their capacity;
    /// nil when everyone online is full (the chat waits unassigned in the inbox).
    public mutating func next(online: [AgentID], load: [AgentID: Int], capacity: [AgentID: Int]) -> AgentID? {
        guard !online.isEmpty else { return nil }
        let start = lastAssigned.flatMap { online.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
        for offset in 0..<online.count {
            let candidate = online[(start + offset) % online.count]
            if load[candidate, default: 0] < capacity[candidate, default: 0] {
                lastAssigned = candidate
                return candidate
            }
        }
        return nil
    }
}
