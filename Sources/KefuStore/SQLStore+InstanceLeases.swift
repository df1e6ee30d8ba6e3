import Foundation
import KefuCore
import SQLKit

/// One agent's consoles on one instance.
public struct AgentConnections: Sendable, Equatable {
    public let agentId: AgentID
    public let connections: Int
    public let lastDisconnectAt: Date?

    public init(agentId: AgentID, connections: Int, lastDisconnectAt: Date?) {
        self.agentId = agentId
        self.connections = connections
        self.lastDisconnectAt = lastDisconnectAt
    }
}

/// What instances on one database tell each other: that they are alive, who holds which lease,
/// and which agents they serve.
public protocol InstanceStateRepository: Sendable {
    /// Records that instance `id` is alive now (a first call registers it).
    func heartbeat(instance id: String, at: Date) async throws
    /// The instance stopped: its row and its agents' connections go.
    func removeInstance(_ id: String) async throws
    /// Takes the lease `name` for `owner` until `until`, or renews it; false while another owner
    /// holds it unexpired and alive. A holder whose instance row (its heartbeat) was last seen
    /// before `holderSilentBefore` is dead or frozen: its lease is taken without waiting for the
    /// end. A holder without a row (it never wrote a heartbeat) keeps its lease to the end.
    func acquireLease(_ name: String, owner: String, until: Date, at: Date, holderSilentBefore: Date) async throws -> Bool
    func releaseLease(_ name: String, owner: String) async throws
    /// Replaces what `instance` reports about its agents' consoles.
    func saveAgentConnections(instance: String, _ connections: [AgentConnections]) async throws
    /// Agents' consoles on instances seen since `aliveSince`, except `instance`'s own.
    func agentConnections(aliveSince: Date, excluding instance: String) async throws -> [AgentConnections]
    func setAgentAway(_ agent: AgentID, away: Bool, at: Date) async throws
    func agentsAway() async throws -> Set<AgentID>
}

extension SQLStore: InstanceStateRepository {
    public func heartbeat(instance id: String, at: Date) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO kefu_instances (id, started_at, seen_at) VALUES (\(bind: id), \(bind: Clock.millis(at)), \(bind: Clock.millis(at)))
                ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at
                """
            ).run()
        }
    }

    public func removeInstance(_ id: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM agent_connections WHERE instance_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM kefu_instances WHERE id = \(bind: id)").run()
        }
    }

    public func acquireLease(_ name: String, owner: String, until: Date, at: Date, holderSilentBefore: Date) async throws -> Bool {
        try await database.write { sql in
            // One statement: the row's lock decides between instances asking at the same moment.
            try await sql.raw(
                """
                INSERT INTO instance_leases (name, owner, lease_until) VALUES (\(bind: name), \(bind: owner), \(bind: Clock.millis(until)))
                ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
                WHERE instance_leases.owner = excluded.owner OR instance_leases.lease_until < \(bind: Clock.millis(at))
                    OR EXISTS (
                        SELECT 1 FROM kefu_instances
                        WHERE kefu_instances.id = instance_leases.owner AND kefu_instances.seen_at < \(bind: Clock.millis(holderSilentBefore)))
                RETURNING owner
                """
            ).first() != nil
        }
    }

    public func releaseLease(_ name: String, owner: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM instance_leases WHERE name = \(bind: name) AND owner = \(bind: owner)").run()
        }
    }

    public func saveAgentConnections(instance: String, _ connections: [AgentConnections]) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM agent_connections WHERE instance_id = \(bind: instance)").run()
            for entry in connections {
                try await sql.raw(
                    """
                    INSERT INTO agent_connections (instance_id, agent_id, connections, last_disconnect_at)
                    VALUES (\(bind: instance), \(bind: entry.agentId.rawValue), \(bind: entry.connections),
                        \(bind: entry.lastDisconnectAt.map(Clock.millis)))
                    """
                ).run()
            }
        }
    }

    public func agentConnections(aliveSince: Date, excluding instance: String) async throws -> [AgentConnections] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT c.agent_id, c.connections, c.last_disconnect_at FROM agent_connections c
                JOIN kefu_instances i ON i.id = c.instance_id
                WHERE i.seen_at >= \(bind: Clock.millis(aliveSince)) AND c.instance_id <> \(bind: instance)
                """
            ).all().map { row in
                AgentConnections(
                    agentId: AgentID(rawValue: try row.string("agent_id")), connections: try row.decode(column: "connections", as: Int.self),
                    lastDisconnectAt: try row.decode(column: "last_disconnect_at", as: Int64?.self).map(Clock.date))
            }
        }
    }

    public func setAgentAway(_ agent: AgentID, away: Bool, at: Date) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO agent_away (agent_id, away, updated_at) VALUES (\(bind: agent.rawValue), \(bind: away ? 1 : 0), \(bind: Clock.millis(at)))
                ON CONFLICT (agent_id) DO UPDATE SET away = excluded.away, updated_at = excluded.updated_at
                """
            ).run()
        }
    }

    public func agentsAway() async throws -> Set<AgentID> {
        try await database.read { sql in
            Set(try await sql.raw("SELECT agent_id FROM agent_away WHERE away = 1").all().map { AgentID(rawValue: try $0.string("agent_id")) })
        }
    }
}
