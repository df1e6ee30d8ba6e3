import Foundation
import HummingbirdWebSocket
import KefuCore
import KefuRealtime
import KefuStore

/// The shape both chat sockets share: one writer drains a queue of frames (so frames from the
/// event stream and replies to the client never interleave mid-write), while the event stream
/// and the client's frames run beside it; whichever side ends first ends the connection. A
/// subscriber that fell too far behind gets `resync` and reconnects with its last seq.
enum SocketPump {
    static func run<Frame: Sendable>(
        outbound: WebSocketOutboundWriter,
        encode: @escaping @Sendable (Frame) -> String,
        resync: Frame,
        events: @escaping @Sendable (AsyncStream<Frame>.Continuation) async throws -> Void,
        client: @escaping @Sendable (AsyncStream<Frame>.Continuation) async throws -> Void
    ) async throws {
        let (queue, sender) = AsyncStream<Frame>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await frame in queue { try await outbound.write(.text(encode(frame))) }
            }
            group.addTask {
                do {
                    try await events(sender)
                } catch EventHubError.overflow {
                    sender.yield(resync)
                }
                sender.finish()
            }
            group.addTask {
                try await client(sender)
                sender.finish()
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

/// A read mark, as both audiences receive it.
struct ReadMarkFrame: Encodable, Sendable {
    let type = "read"
    let conversationId: ConversationID
    let by: AuthorKind
    let seq: Int64
}

/// The agents a socket names in its frames, read once and again when an event names an agent
/// it does not know yet (a colleague invited after the socket opened). A changed name or
/// picture shows from the next connection.
struct AgentDirectory {
    let store: any AgentRepository
    private(set) var byId: [String: Agent] = [:]
    private var loaded = false

    init(store: any AgentRepository) { self.store = store }

    mutating func load() async throws {
        guard !loaded else { return }
        byId = Dictionary(uniqueKeysWithValues: try await store.listAgents().map { ($0.id.rawValue, $0) })
        loaded = true
    }

    /// Reloads when the event's agent is missing; cheap otherwise.
    mutating func refresh(for event: ConversationEvent) async throws {
        try await load()
        let author: Author? =
            switch event.kind {
            case .message(let message): message.author
            case .typing(let author, _): author
            case .read, .delivery: nil
            }
        guard let author, author.kind == .agent, let id = author.id, byId[id] == nil else { return }
        loaded = false
        try await load()
    }
}
