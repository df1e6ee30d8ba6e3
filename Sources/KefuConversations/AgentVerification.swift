import Foundation
import KefuCore
import KefuStore

/// "Is the person writing to me really your agent?" A customer gives the code from a reply
/// (`AgentCode`); the answer is yes only when the code belongs to an active agent, is still
/// valid, and was given in one of *this customer's* conversations, so a scammer who copies a
/// code from their own chat with support gets a "no" for anyone they show it to. Any "no" is
/// the same "no": it says nothing about agents or other customers.
public struct AgentVerification: Sendable {
    public typealias Repositories = AgentCodeRepository & ConversationRepository & ContactRepository & AgentRepository & InboxRepository

    public enum Answer: Sendable, Equatable {
        case genuine(agentName: String, conversationNumber: Int64)
        case notGenuine
    }

    let store: any Repositories
    let now: @Sendable () -> Date

    public init(store: any Repositories, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
    }

    /// For a customer Kefu knows (the widget's visitor, a Telegram user).
    public func check(code raw: String, contact: ContactID) async throws -> Answer {
        try await check(code: raw) { code, conversation in
            guard conversation.contactId == contact else { return false }
            // A mail conversation is the contact's by its From, which anyone can write: it counts
            // only when the reply carrying the code went to the contact's own (confirmed) address.
            guard try await store.inbox(id: conversation.inboxId)?.kind == .email else { return true }
            guard let email = try await store.contact(id: contact)?.email?.lowercased() else { return false }
            return try await store.agentCodeRecipients(code, conversationId: conversation.id).contains { $0.lowercased() == email }
        }
    }

    /// For a customer on the public page, who says at which address they got the reply. The
    /// code must have been mailed there: what a mail's From says proves nothing (anyone can
    /// write it, and the replies go to its Reply-To), nor does an address typed into the widget.
    public func check(code raw: String, email rawEmail: String) async throws -> Answer {
        let email = rawEmail.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard !email.isEmpty else { throw ConversationError.invalid("email", .required) }
        guard email.count <= 254, EmailAddress.isPlausible(email) else { throw ConversationError.invalid("email", .invalid) }
        return try await check(code: raw) { code, conversation in
            try await store.agentCodeRecipients(code, conversationId: conversation.id).contains { $0.lowercased() == email }
        }
    }

    func check(code raw: String, isTheirs: (String, Conversation) async throws -> Bool) async throws -> Answer {
        if raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ConversationError.invalid("code", .required) }
        guard let code = AgentCode.normalized(raw) else { throw ConversationError.invalid("code", .invalid) }
        guard let issued = try await store.agentCode(code), issued.expiresAt > now(),
            let agent = try await store.agent(id: issued.agentId), agent.status == .active,
            let conversation = try await store.conversation(id: issued.conversationId), try await isTheirs(code, conversation)
        else { return .notGenuine }
        return .genuine(agentName: agent.name, conversationNumber: conversation.number)
    }
}
