import Foundation
import KefuConversations
import KefuAccounts
import KefuCore
import KefuLocalization
import KefuStore

/// Agents deciding held authorizations: release or reject, always with a note; above the amount
/// supervisors set, a release takes two different agents. The customer is told the outcome on
/// their channel: in their open conversation when they have one (chat live, email by mail),
/// else by a mail to the account (their language, anti-phishing code first). The wallet's
/// backend reads it from `GET /api/v1/accounts/{id}/authorizations/{authorizationId}`.
public struct HoldReviews: Sendable {
    public static let twoPersonKey = "risk.two_person_from_usd"
    public static let noteLength = 3...1000

    public let store: any AuthorizationRepository & AccountRepository & SettingsRepository & ConversationRepository
    public let accounts: AccountService
    /// Replies in the customer's conversation (stored, pushed live, mailed for email inboxes).
    public let conversations: ConversationService
    public let now: @Sendable () -> Date

    /// Releases of at least this value need two agents (nil: never).
    public func twoPersonFrom() async throws -> USD? {
        guard let text = try await store.setting(Self.twoPersonKey), !text.isEmpty else { return nil }
        return try? USD.parse(text)
    }

    public func setTwoPersonFrom(_ text: String, by agent: Agent, address: String?) async throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty {
            guard let value = try? USD.parse(trimmed), value > .zero else { throw RiskError.invalid("twoPersonFromUsd", .invalid) }
        }
        try await store.setSetting(
            Self.twoPersonKey, value: trimmed,
            audit: AuditEvent(
                actor: .agent(agent.id), action: "risk.two_person_changed", subjectKind: "setting", subjectId: Self.twoPersonKey,
                detail: ["from_usd": trimmed.isEmpty ? "off" : trimmed], clientAddress: address))
    }

    public func review(id: String, by agent: Agent, release: Bool, note raw: String, address: String?) async throws -> HoldOutcome {
        let note = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if note.count < Self.noteLength.lowerBound { throw RiskError.invalid("note", .tooShort(min: Self.noteLength.lowerBound)) }
        if note.count > Self.noteLength.upperBound { throw RiskError.invalid("note", .tooLong(max: Self.noteLength.upperBound)) }
        let outcome = try await store.reviewHold(
            id: id, by: agent.id, release: release, note: note, twoPersonFrom: try await twoPersonFrom(), at: now(),
            audit: AuditEvent(actor: .agent(agent.id), action: "authorization.hold", subjectKind: "authorization", subjectId: id, clientAddress: address))
        switch outcome {
        case .released(let authorization), .rejected(let authorization):
            try await tell(authorization, released: authorization.status == .released, by: agent)
        case .awaitingSecondApproval, .sameApprover, .notHeld:
            break
        }
        return outcome
    }

    public func tell(_ authorization: Authorization, released: Bool, by agent: Agent) async throws {
        guard let account = try await store.account(id: authorization.accountId) else { return }
        let locale = UILocale(storedTag: account.locale)
        let kind = DecisionMessages.kind(authorization.kind, locale)
        let value = DecisionMessages.money(authorization.value, locale)
        if let contact = account.contactId, let conversation = try await openConversation(of: contact) {
            let text = Catalog.standard.text(released ? .holdReleasedInChat : .holdRejectedInChat, locale, ["kind": kind, "value": value])
            _ = try await conversations.send(
                NewMessage(direction: .outgoing, author: .agent(agent.id), text: text, clientMessageId: "hold-\(authorization.id)"), to: conversation.id)
            return
        }
        let mail =
            released
            ? AccountMails.holdReleased(kind: kind, value: value, locale: account.locale)
            : AccountMails.holdRejected(kind: kind, value: value, locale: account.locale)
        try await accounts.mail(account, mail, key: "hold-\(released ? "released" : "rejected"):\(authorization.id)")
    }

    /// The customer's most recent open (else pending) conversation, if any.
    public func openConversation(of contact: ContactID) async throws -> Conversation? {
        for status in [ConversationStatus.open, .pending] {
            if let found = try await store.listConversations(filter: ConversationFilter(status: status, contactId: contact), after: nil, limit: 1).items.first {
                return found
            }
        }
        return nil
    }

    public init(store: any AuthorizationRepository & AccountRepository & SettingsRepository & ConversationRepository, accounts: AccountService, conversations: ConversationService, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.accounts = accounts
        self.conversations = conversations
        self.now = now
    }
}
