import Foundation
import HummingbirdWebSocket
import KefuConversations
import KefuCore
import KefuRealtime
import KefuStore
import ServiceLifecycle

/// The shape both chat sockets share: the event stream and the client's frames run side by
/// side, each writing its frames straight to the socket (the WebSocket handler writes one whole
/// frame at a time, so they never interleave mid-frame, and a slow reader holds the writer back
/// instead of growing a queue: the hub's bounded buffer then ends it with `resync`). Whichever
/// side ends first, or the server's graceful shutdown, ends the connection.
///
/// Two tasks per socket, not more: each long-lived task keeps the stack memory its deepest call
/// needed for as long as it lives, and with twenty thousand idle widgets open those tasks were
/// most of the server's memory (docs/benchmarks.md). For the same reason the socket's setup
/// (reads, replay) runs in a short-lived task through `prepared`.
enum SocketPump {
    static func run<Frame: Sendable>(
        outbound: WebSocketOutboundWriter,
        encode: @escaping @Sendable (Frame) -> String,
        resync: Frame,
        events: @escaping @Sendable (FrameSender<Frame>) async throws -> Void,
        client: @escaping @Sendable (FrameSender<Frame>) async throws -> Void
    ) async throws {
        let send = FrameSender(outbound: outbound, encode: encode)
        let (ended, end) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { end.finish() }
                do {
                    try await events(send)
                } catch EventHubError.overflow {
                    try await send(resync)
                }
            }
            group.addTask {
                defer { end.finish() }
                try await client(send)
            }
            // Waiting here costs no task of its own; a shutdown ends the wait like either side.
            await withGracefulShutdownHandler {
                for await _ in ended {}
            } onGracefulShutdown: {
                end.finish()
            }
            group.cancelAll()
            // A side's own error closes the socket with it; the other side's cancellation is not
            // one (whichever of the two happens to finish first).
            var failure: (any Error)?
            while let result = await group.nextResult() {
                if case .failure(let error) = result, !(error is CancellationError), failure == nil { failure = error }
            }
            if let failure { throw failure }
        }
    }

    /// `work`'s result, computed in a task of its own that ends with it, so the stack memory its
    /// reads needed is returned instead of staying with the socket's long-lived task.
    static func prepared<Value: Sendable>(_ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Value.self) { group in
            group.addTask(operation: work)
            guard let value = try await group.next() else { throw CancellationError() }
            return value
        }
    }
}

/// Writes a socket's frames, encoded, as one text message each.
struct FrameSender<Frame: Sendable>: Sendable {
    let outbound: WebSocketOutboundWriter
    let encode: @Sendable (Frame) -> String

    func callAsFunction(_ frame: Frame) async throws {
        try await outbound.write(.text(encode(frame)))
    }
}

/// Where a socket's live events stand: the agents its frames name and the cursor that keeps
/// them once each and in order.
struct LiveFeed: Sendable {
    var agents: AgentDirectory
    var cursor: ReplayCursor

    /// One live event: first the stored messages it skipped over (`StoredEventReplay.fill`), then
    /// the event itself unless it was already sent; `frame` says what the socket sends for each.
    mutating func forward<Frame: Sendable>(
        _ event: ConversationEvent, messages: any MessageRepository, frame: (ConversationEvent, [String: Agent]) -> Frame?,
        through send: FrameSender<Frame>
    ) async throws {
        try await agents.refresh(for: event)
        let known = agents.byId
        try await StoredEventReplay.fill(&cursor, before: event, from: messages) { missed in
            if let missedFrame = frame(missed, known) { try await send(missedFrame) }
        }
        guard cursor.admit(event), let eventFrame = frame(event, known) else { return }
        try await send(eventFrame)
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
