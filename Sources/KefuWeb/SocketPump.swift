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

extension AgentRepository {
    /// Agent display names by id, for frames that name who wrote or typed.
    func agentNames() async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await listAgents().map { ($0.id.rawValue, $0.name) })
    }
}
