import Foundation
import HummingbirdWebSocket
import KefuConversations
import KefuChannels
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore
import Logging

/// One visitor's WebSocket: replays the conversation from the store after `since`, then
/// streams live events, and takes the visitor's messages and typing in the other direction.
///
/// Order of operations is what makes reconnects lossless: subscribe to live events first, then
/// read the store, then drain live events through a `ReplayCursor` that skips what was sent.
struct WidgetSocket {
    let service: WidgetService
    let presence: any PresenceTracking
    let session: WidgetSession
    let since: Int64
    /// The conversation `since` refers to; when the current conversation is another one (a new
    /// one started), it is replayed from the beginning.
    let sinceConversation: ConversationID?
    /// When the visitor can expect an answer (shown by the widget).
    let expectations: (any ReplyExpectations)?
    /// Where the visitor's survey ratings go.
    let surveys: SatisfactionSurveys?
    let logger: Logger

    static let maxFrameBytes = 64 << 10

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        // Subscribed before anything is read from the store: nothing published from here on is missed.
        let live = service.conversations.bus.subscribe([.contact(session.contactId)])
        try await SocketPump.run(
            outbound: outbound, encode: { $0.json() },
            resync: .error(.init(code: "resync", message: "Reconnect with since=<last seq>.", clientMsgId: nil)),
            events: { send in try await streamEvents(live, to: send) },
            client: { send in try await readFrames(inbound, replyingThrough: send) })
    }

    private func frame(for event: ConversationEvent, agents: [String: Agent]) -> WidgetFrame.Outbound? {
        switch event.kind {
        case .message(let message):
            return WidgetFrame.customerFrame(for: message, locale: UILocale(storedTag: session.locale)) { id in id.flatMap { agents[$0] } }
        case .read(let reader, let seq):
            guard reader == .agent else { return nil }
            return .read(.init(conversationId: event.conversationId, by: .agent, seq: seq))
        case .delivery:
            return nil  // how agents' mail fared is theirs to know
        case .typing(let author, let isTyping):
            guard author.kind == .agent else { return nil }
            return .typing(
                .init(
                    conversationId: event.conversationId, isTyping: isTyping,
                    author: .init(agent: author.id.flatMap { agents[$0] })))
        }
    }

    private func streamEvents(
        _ live: AsyncThrowingStream<ConversationEvent, any Error>, to send: FrameSender<WidgetFrame.Outbound>
    ) async throws {
        var state = try await SocketPump.prepared { try await greet(through: send) }
        for try await event in live where event.inboxId == session.inboxId {
            try await forward(event, state: &state, through: send)
        }
    }

    /// One live event to the visitor. A call of its own (not inlined into the loop): an async
    /// function's frame holds room for everything inlined into it for as long as it waits, and
    /// this loop waits for the socket's whole life.
    @inline(never)
    private func forward(
        _ event: ConversationEvent, state: inout LiveFeed, through send: FrameSender<WidgetFrame.Outbound>
    ) async throws {
        try await state.forward(event, messages: service.store, frame: { frame(for: $0, agents: $1) }, through: send)
    }

    /// The `hello` frame and the replay after `since`; returns the agents it named and where the
    /// live events take over.
    private func greet(through send: FrameSender<WidgetFrame.Outbound>) async throws -> LiveFeed {
        var agents = AgentDirectory(store: service.store)
        let current = try await service.store.latestConversation(contactId: session.contactId, inboxId: session.inboxId)
        // Left in the chat, or verified on the customer: either way no need to ask again.
        var emailKnown = session.claimedEmail != nil
        if !emailKnown { emailKnown = try await service.store.contact(id: session.contactId)?.email != nil }
        var expected: String?
        if let expectations, let inbox = try await service.store.inbox(id: session.inboxId) {
            expected = await expectations.expectedReply(for: inbox, locale: UILocale(storedTag: session.locale), at: Date())
        }
        try await send(
            .hello(
                .init(
                    contactId: session.contactId, conversationId: current?.id, lastSeq: current?.lastSeq ?? 0,
                    agentsOnline: !presence.onlineAgents().isEmpty,
                    emailKnown: emailKnown,
                    agentReadSeq: current?.agentReadSeq ?? 0, expectedReply: expected)))
        let opened = Date()
        var cursor = ReplayCursor()
        if let current {
            let start = sinceConversation == nil || sinceConversation == current.id ? since : 0
            try await agents.load()
            let known = agents.byId
            cursor = try await StoredEventReplay.replay(current, since: start, from: service.store) { event in
                if let frame = frame(for: event, agents: known) { try await send(frame) }
            }
        }
        cursor.followEverything(openedAt: opened)
        return LiveFeed(agents: agents, cursor: cursor)
    }

    private func readFrames(
        _ inbound: WebSocketInboundStream, replyingThrough send: FrameSender<WidgetFrame.Outbound>
    ) async throws {
        for try await message in inbound.messages(maxSize: Self.maxFrameBytes) {
            try await handle(message, replyingThrough: send)
        }
    }

    /// One frame from the visitor; not inlined into the waiting loop (see `forward`).
    @inline(never)
    private func handle(_ message: WebSocketMessage, replyingThrough send: FrameSender<WidgetFrame.Outbound>) async throws {
        guard case .text(let text) = message,
            let frame = try? JSONDecoder().decode(WidgetFrame.Inbound.self, from: Data(text.utf8))
        else {
            try await send(.error(.init(code: "invalid_frame", message: "Frames are JSON text objects with a type.", clientMsgId: nil)))
            return
        }
        switch frame.type {
        case "message":
            guard let clientMsgId = frame.clientMsgId, !clientMsgId.isEmpty, clientMsgId.count <= 100 else {
                try await send(.error(.init(code: "validation_failed", message: "clientMsgId is required.", clientMsgId: nil)))
                return
            }
            let attachmentIds = (frame.attachmentIds ?? []).compactMap(AttachmentID.init(validating:))
            guard attachmentIds.count == (frame.attachmentIds ?? []).count else {
                try await send(.error(.init(code: "validation_failed", message: "attachmentIds must be ids.", clientMsgId: clientMsgId)))
                return
            }
            do {
                let result = try await service.send(
                    text: frame.text ?? "", clientMsgId: clientMsgId, attachmentIds: attachmentIds, session: session)
                // Acknowledged only now that it is stored; the ack carries its place.
                try await send(
                    .ack(.init(clientMsgId: clientMsgId, conversationId: result.message.conversationId, seq: result.message.seq, id: result.message.id)))
            } catch ConversationError.notFound("attachment") {
                try await send(.error(.init(code: "attachment_not_found", message: "An attachment is missing or already used.", clientMsgId: clientMsgId)))
            } catch {
                guard let problem = APIError(domain: error) else { throw error }
                try await send(.error(.init(code: problem.code, message: problem.message(.en), clientMsgId: clientMsgId)))
            }
        case "rating":
            // The survey shown in the chat: only this visitor's own.
            guard let surveys, let id = frame.surveyId.flatMap(SurveyID.init(validating:)), let rating = frame.rating else {
                try await send(.error(.init(code: "validation_failed", message: "surveyId and rating are required.", clientMsgId: nil)))
                return
            }
            do {
                let answered = try await surveys.answer(id, from: session.contactId, rating: rating, comment: frame.text)
                try await send(.rated(.init(surveyId: answered.survey.id, rating: answered.survey.answer?.rating ?? rating)))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                try await send(.error(.init(code: error.code, message: error.message(.en), clientMsgId: nil)))
            }
        case "typing":
            try await service.typing(frame.isTyping ?? false, session: session)
        case "read":
            try await service.markRead(upTo: frame.seq ?? 0, session: session)
        case "contact":
            // Offline mode: the visitor leaves an email so the answer can follow by mail.
            do {
                try await service.claimEmail(frame.email ?? "", session: session)
                try await send(.saved(.init()))
            } catch let failure as any DomainProblem {
                let error = failure.problem
                try await send(.error(.init(code: error.code, message: error.message(.en), clientMsgId: nil)))
            }
        default:
            try await send(.error(.init(code: "unknown_frame", message: "Unknown frame type.", clientMsgId: frame.clientMsgId)))
        }
    }
}
