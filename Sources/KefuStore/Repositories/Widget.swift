import Foundation
import KefuCore

/// A live-chat visitor's session: which contact in which inbox the token speaks for.
public struct WidgetSession: Sendable, Equatable {
    public var id: String
    public var inboxId: InboxID
    public var contactId: ContactID
    /// An email the visitor typed; not trusted until verified by mail.
    public var claimedEmail: String?
    /// The wallet account id / UID the visitor typed; a claim for agents to check, not an identity.
    public var claimedWalletUid: String? = nil
    public var locale: String?
    /// What the visitor said the chat is about (pre-chat form), a label for new conversations.
    public var topic: String?
    public var expiresAt: Date

    public init(
        id: String, inboxId: InboxID, contactId: ContactID, claimedEmail: String?, locale: String?, topic: String?, expiresAt: Date
    ) {
        self.id = id
        self.inboxId = inboxId
        self.contactId = contactId
        self.claimedEmail = claimedEmail
        self.locale = locale
        self.topic = topic
        self.expiresAt = expiresAt
    }
}

public protocol WidgetSessionRepository: Sendable {
    func createWidgetSession(
        inboxId: InboxID, contactId: ContactID, tokenHash: String, claimedEmail: String?, claimedWalletUid: String?, locale: String?,
        topic: String?, userAgent: String?, clientAddress: String?, expiresAt: Date) async throws -> WidgetSession
    /// What the visitors of this contact's widget sessions claimed (email, wallet UID), newest first.
    func widgetClaims(contactId: ContactID) async throws -> (email: String?, walletUid: String?)
    /// The live session for a token hash; extends its expiry by `slidingLifetime` when used.
    func widgetSession(tokenHash: String, now: Date, slidingLifetime: TimeInterval) async throws -> WidgetSession?
    func setClaimedEmail(sessionId: String, email: String) async throws
    /// The contact's most recent conversation in the inbox, if any.
    func latestConversation(contactId: ContactID, inboxId: InboxID) async throws -> Conversation?
    /// The visitor of this session proved `email`; the session then speaks for the customer
    /// with that address (created when new). An anonymous visitor's contact (no email, no
    /// account) is merged into that customer: its conversations, messages, uploads and sessions
    /// move, one customer, one history. A contact that already is someone (another verified
    /// address, an account) is never merged or renamed: only this session moves, so a shared
    /// browser cannot pour one customer's history into another's. Returns the session's contact.
    func verifySessionEmail(sessionId: String, email: String) async throws -> ContactID
    /// The same for a visitor the wallet's page vouches for: the session joins `owner` (the
    /// account's contact), merging an anonymous contact, moving only the session otherwise.
    func joinSession(sessionId: String, to owner: ContactID) async throws
}

public enum EmailCodeCheck: Sendable, Equatable {
    case valid
    /// Wrong, expired, used, replaced by a newer code, or too many attempts.
    case invalid
}

public protocol EmailCodeRepository: Sendable {
    /// Stores a new code (hashed) and voids the earlier unused ones for the same purpose and
    /// address, unless `limit` codes were made for it since `since`: then nil. Counting and
    /// storing are one step per address, so parallel requests cannot all pass the count.
    func createEmailCode(purpose: String, email: String, codeHash: String, expiresAt: Date, limit: Int, since: Date) async throws -> String?
    /// Checks `codeHash` against the address's live code, counting the attempt; a match uses it up.
    func checkEmailCode(purpose: String, email: String, codeHash: String, maxAttempts: Int) async throws -> EmailCodeCheck
}
