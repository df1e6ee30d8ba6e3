import Foundation
import KefuConversations
import KefuCore
import KefuStore
import ServiceLifecycle

/// The live-chat widget. Its inbound path is the visitor's socket (WidgetService, called by the
/// web target); a reply reaches an open widget through the event bus. What this adds is the
/// reply that must not be lost when the visitor has left: mailed to the address they gave, if
/// they have not read it in the widget by then.
public struct WebchatChannel: Channel {
    let mail: EmailReplies

    public init(mail: EmailReplies) {
        self.mail = mail
    }

    public var kind: InboxKind { .webchat }

    public func deliver(_ reply: Message, in conversation: Conversation, inbox: Inbox) async throws {
        guard reply.direction == .outgoing else { return }
        try await mail.enqueueChatReply(reply, in: conversation)
    }

    public var services: [any Service] { [] }
}
