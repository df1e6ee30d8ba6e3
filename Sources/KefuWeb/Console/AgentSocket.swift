import Foundation
import HummingbirdWebSocket
import KefuConversations
import KefuCore
import KefuRealtime
import KefuStore
import Logging

/// An agent's WebSocket: every conversation event live (for the inbox list), the open
/// conversation replayed after `since` first, and the agent's typing in the other direction.
struct AgentSocket {
    let store: any ConversationController.Repositories
    /// Live events come from its bus; the agent's typing and reads go through it.
    let conversations: ConversationService
    let presence: any PresenceTracking
    /// Message frames shared by all feeds (encoded once per message).
    let frames: AgentFrameCache
    let agent: Agent
    let conversationId: ConversationID?
    let since: Int64

    struct AuthorFrame: Encodable, Sendable {
        let kind: AuthorKind
        let id: String?
        let name: String?
    }

    struct MessageFrame: Encodable, Sendable {
        let type = "message"
        let conversationId: ConversationID
        let seq: Int64
        let id: MessageID
        let direction: MessageDirection
        let author: AuthorFrame
        let text: String
        let clientMsgId: String?
        let createdAt: Date
    }

    struct TypingFrame: Encodable, Sendable {
        let type = "typing"
        let conversationId: ConversationID
        let isTyping: Bool
        let author: AuthorFrame
    }

    struct HelloFrame: Encodable, Sendable {
        let type = "hello"
        let agentId: AgentID
        /// For the open conversation: how far the customer has read, which a page that loaded
        /// between a read and this connection may not show yet.
        let contactReadSeq: Int64?
    }

    struct Inbound: Decodable {
        let type: String
        let conversationId: ConversationID?
        let isTyping: Bool?
        let seq: Int64?
    }

    /// A reply's mail was sent, is being retried, or failed.
    struct DeliveryFrame: Encodable {
        let type = "delivery"
        let conversationId: ConversationID
        let messageId: MessageID?
        let status: String
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        // An open console is what makes an agent online (unless they chose away).
        presence.connected(agent.id)
        defer { presence.disconnected(agent.id) }
        let live = conversations.bus.subscribe([.allConversations])
        try await SocketPump.run(
            outbound: outbound, encode: { $0 }, resync: #"{"code":"resync","type":"error"}"#,
            events: { send in try await streamEvents(live, to: send) },
            client: { _ in try await readFrames(inbound) })
    }

    private func encode(_ value: some Encodable) -> String {
        (try? String(decoding: JSONEncoder.api.encode(value), as: UTF8.self)) ?? ""
    }

    private func frame(for event: ConversationEvent, agents: [String: Agent]) -> String? {
        switch event.kind {
        case .message(let message):
            let name = message.author.kind == .agent ? message.author.id.flatMap { agents[$0]?.name } : nil
            return frames.frame(for: .init(message: message.id, authorName: name)) {
                encode(
                    MessageFrame(
                        conversationId: message.conversationId, seq: message.seq, id: message.id, direction: message.direction,
                        author: AuthorFrame(kind: message.author.kind, id: message.author.id, name: name), text: message.text,
                        clientMsgId: message.clientMessageId, createdAt: message.createdAt))
            }
        case .read(let reader, let seq):
            return encode(ReadMarkFrame(conversationId: event.conversationId, by: reader, seq: seq))
        case .delivery(let messageId, let status):
            return encode(DeliveryFrame(conversationId: event.conversationId, messageId: messageId, status: status))
        case .typing(let author, let isTyping):
            // Agents do not need to see their own typing echoed back.
            if author.kind == .agent, author.id == agent.id.rawValue { return nil }
            let name = author.kind == .agent ? author.id.flatMap { agents[$0]?.name } : nil
            return encode(
                TypingFrame(
                    conversationId: event.conversationId, isTyping: isTyping, author: AuthorFrame(kind: author.kind, id: author.id, name: name)))
        }
    }

    private func streamEvents(_ live: AsyncThrowingStream<ConversationEvent, any Error>, to send: FrameSender<String>) async throws {
        var feed = try await SocketPump.prepared {
            var agents = AgentDirectory(store: store)
            try await agents.load()
            let open = try await conversationId.asyncMap { try await store.conversation(id: $0) } ?? nil
            try await send(encode(HelloFrame(agentId: agent.id, contactReadSeq: open?.contactReadSeq)))
            let opened = Date()
            var cursor = ReplayCursor()
            if let conversation = open {
                let known = agents.byId
                cursor = try await StoredEventReplay.replay(conversation, since: since, from: store) { event in
                    if let frame = frame(for: event, agents: known) { try await send(frame) }
                }
            }
            cursor.followEverything(openedAt: opened)
            return LiveFeed(agents: agents, cursor: cursor)
        }
        for try await event in live {
            try await feed.forward(event, messages: store, frame: { frame(for: $0, agents: $1) }, through: send)
        }
    }

    private func readFrames(_ inbound: WebSocketInboundStream) async throws {
        for try await message in inbound.messages(maxSize: 16 << 10) {
            guard case .text(let text) = message,
                let frame = try? JSONDecoder().decode(Inbound.self, from: Data(text.utf8)),
                let id = frame.conversationId, let conversation = try await store.conversation(id: id)
            else { continue }
            switch frame.type {
            case "typing":
                await conversations.typing(in: conversation, by: .agent(agent.id), isTyping: frame.isTyping ?? false)
            case "read":
                try await conversations.markRead(conversation, by: .agent, upTo: frame.seq ?? 0)
            default:
                continue
            }
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
