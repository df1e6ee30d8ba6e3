import Foundation
import KefuAccounts
import KefuChannels
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

/// What one instance shares with the others on its database: the event bus (with PostgreSQL,
/// NOTIFY between instances; with SQLite, this process only), presence and credential throttles
/// (in the database either way, so a restart keeps them too), and the services that keep them
/// in step.
public struct InstanceParts: Sendable {
    public let instance: String
    public let bus: any EventBus
    public let presence: any PresenceTracking
    public let throttle: any CredentialThrottle
    public let services: [any Service]

    /// Parts for the database at `location`.
    /// `listenURL` is where the listening connection goes when the pool's URL is a transaction
    /// pooler (a LISTEN does not survive one); the pool's URL by default. `instance` names this
    /// process's heartbeat: the id its leases are held under, so that the others see when a
    /// lease's holder went silent; tests that run several instances in one process give each
    /// its own.
    public static func make(
        for location: DatabaseLocation, instance: String = ProcessInstance.id, listenURL: String? = nil, store: SQLStore, logger: Logger,
        busPollInterval: Duration = .seconds(2)
    ) throws -> InstanceParts {
        let presence = SharedPresence(instance: instance, store: store, logger: logger)
        let throttle = StoredThrottle(store: store, logger: logger)
        switch location {
        case .sqlite:
            return InstanceParts(instance: instance, bus: EventHub(), presence: presence, throttle: throttle, services: [presence])
        case .postgres(let url):
            let signals = PostgresBusSignals(database: store.database, listener: try PostgresListener(url: listenURL ?? url, logger: logger))
            let bus = ClusterEventBus(
                instance: instance, signals: signals, source: StoreEventSource(store: store), pollInterval: busPollInterval, logger: logger)
            return InstanceParts(instance: instance, bus: bus, presence: presence, throttle: throttle, services: [bus, presence])
        }
    }
}
