import Foundation
import KefuCore
import KefuRealtime
import KefuStore
import Logging
import ServiceLifecycle

/// The PostgreSQL side of `ClusterEventBus`: NOTIFY through the pool, LISTEN on a connection of
/// the instance's own, messages read back from the store.
struct PostgresBusSignals: BusSignals {
    /// The channel every instance of one database listens on.
    static let channel = "kefu_events"

    let database: any Database
    let listener: PostgresListener

    func send(_ payloads: [String]) async throws {
        try await database.notify(Self.channel, payloads: payloads)
    }

    func listen(connected: @escaping @Sendable () async -> Void, received: @escaping @Sendable (String) async -> Void) async {
        await listener.listen(channel: Self.channel, connected: connected, received: received)
    }
}

/// Stored messages as the bus publishes them.
struct StoreEventSource: StoredEventSource {
    let store: any LiveMessageReading

    func messageEvents(at places: [(ConversationID, Int64)]) async throws -> [ConversationEvent] {
        try await store.messages(at: places).map { .message($0.message, contactId: $0.contactId, inboxId: $0.inboxId) }
    }

    func messageKeys(writtenSince since: Date, after: String?, limit: Int) async throws -> [StoredMessageKey] {
        try await store.recentMessagePlaces(since: since, after: after, limit: limit).map {
            StoredMessageKey(id: $0.id, conversationId: $0.conversationId, seq: $0.seq)
        }
    }
}

/// The parts that differ between one instance and several on one database: the event bus and
/// the services that keep it in step with the others.
public struct InstanceParts: Sendable {
    public let bus: any EventBus
    public let services: [any Service]

    /// One instance: everything in this process.
    public static func single() -> InstanceParts {
        InstanceParts(bus: EventHub(), services: [])
    }

    /// One of several instances on the PostgreSQL at `url`.
    public static func shared(store: SQLStore, url: String, logger: Logger, pollInterval: Duration = .seconds(2)) throws -> InstanceParts {
        let signals = PostgresBusSignals(database: store.database, listener: try PostgresListener(url: url, logger: logger))
        let bus = ClusterEventBus(signals: signals, source: StoreEventSource(store: store), pollInterval: pollInterval, logger: logger)
        return InstanceParts(bus: bus, services: [bus])
    }

    /// Parts for the database at `location`.
    public static func make(for location: DatabaseLocation, store: SQLStore, logger: Logger) throws -> InstanceParts {
        switch location {
        case .sqlite: return .single()
        case .postgres(let url): return try .shared(store: store, url: url, logger: logger)
        }
    }
}
