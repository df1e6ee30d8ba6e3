import Foundation
import KefuCore

/// Errors a store reports in domain terms; the web layer maps them to problem+json.
public enum StoreError: Error, Equatable, Sendable {
    case notFound(String)
    case conflict(String)
}

public struct ConsoleSessionRecord: Sendable {
    public var id: String
    public var agent: Agent
    public var csrfToken: String?
    public var expiresAt: Date
}

public protocol AgentRepository: Sendable {
    func createAgent(
        email: String, name: String, role: AgentRole, passwordHash: String, mustChangePassword: Bool, audit: AuditEvent?
    ) async throws -> Agent
    /// Sets or (nil) removes the agent's picture; the bytes live in the blob store.
    func setAvatar(id: AgentID, avatar: AgentAvatar?, audit: AuditEvent?) async throws -> Agent
    func avatar(agentId: AgentID) async throws -> AgentAvatar?
    func agent(id: AgentID) async throws -> Agent?
    /// The agent with its secrets, for the login path only.
    func credentials(email: String) async throws -> (Agent, AgentCredentials)?
    func credentials(id: AgentID) async throws -> (Agent, AgentCredentials)?
    func listAgents() async throws -> [Agent]
    func countAgents() async throws -> Int
    func updateAgent(id: AgentID, status: AgentStatus?, role: AgentRole?, chatCapacity: Int?, audit: AuditEvent?) async throws -> Agent
    /// Sets a new password hash and clears "must change password".
    func setPassword(id: AgentID, passwordHash: String, audit: AuditEvent?) async throws
    /// Replaces a forgotten password with a one-time one the agent must change, and ends every
    /// session, in one transaction.
    func resetPassword(id: AgentID, oneTimePasswordHash: String, audit: AuditEvent?) async throws
    /// Revokes every session of the agent except `keeping` (the one that changed the password).
    func revokeOtherSessions(agentId: AgentID, keeping sessionId: String) async throws
    func setLocale(id: AgentID, locale: String?) async throws
    /// Stores a new (not yet confirmed) TOTP secret, or clears it with nil.
    func setTOTP(id: AgentID, sealedSecret: String?, enabled: Bool, audit: AuditEvent?) async throws
    /// Records that the TOTP code of `step` was used; false when that step (or a later one) already was.
    func claimTOTPStep(id: AgentID, step: Int64) async throws -> Bool
}

public protocol SessionRepository: Sendable {
    func createSession(
        agentId: AgentID, tokenHash: String, kind: String, csrfToken: String?, userAgent: String?,
        clientAddress: String?, expiresAt: Date) async throws -> String
    /// The live (unrevoked, unexpired, agent active) session for a token hash; refreshes last-seen.
    func session(tokenHash: String, now: Date) async throws -> ConsoleSessionRecord?
    func revokeSession(tokenHash: String) async throws
    func revokeAllSessions(agentId: AgentID) async throws
}

public protocol TeamRepository: Sendable {
    func createTeam(name: String, audit: AuditEvent?) async throws -> Team
    func team(id: TeamID) async throws -> Team?
    func listTeams() async throws -> [Team]
}

public protocol InboxRepository: Sendable {
    func createInbox(name: String, kind: InboxKind, audit: AuditEvent?) async throws -> Inbox
    func inbox(id: InboxID) async throws -> Inbox?
    func listInboxes() async throws -> [Inbox]
    /// Renames an inbox or replaces its pre-chat form (nil leaves either as it is).
    func updateInbox(id: InboxID, name: String?, prechatForm: PrechatForm?, audit: AuditEvent?) async throws -> Inbox
}

public protocol ContactRepository: Sendable {
    func createContact(name: String?, email: String?, locale: String?) async throws -> Contact
    func contact(id: ContactID) async throws -> Contact?
    func contact(email: String) async throws -> Contact?
    /// Several contacts in one query (for lists), keyed by id; unknown ids are absent.
    func contacts(ids: [ContactID]) async throws -> [ContactID: Contact]
}

public struct ConversationFilter: Sendable, Equatable {
    public var status: ConversationStatus?
    public var inboxId: InboxID?
    /// `.some(nil)` means unassigned.
    public var assigneeId: AgentID??
    /// One customer's conversations (e.g. those linked to a held withdrawal's account).
    public var contactId: ContactID?

    public init(status: ConversationStatus? = nil, inboxId: InboxID? = nil, assigneeId: AgentID?? = nil, contactId: ContactID? = nil) {
        self.status = status
        self.inboxId = inboxId
        self.assigneeId = assigneeId
        self.contactId = contactId
    }
}

/// A change an agent makes to a conversation; nil fields stay as they are.
public struct ConversationChange: Sendable, Equatable {
    public var status: ConversationStatus?
    public var priority: ConversationPriority?
    /// `.some(nil)` unassigns.
    public var assigneeId: AgentID??
    public var teamId: TeamID??
    public var labels: [String]?
    public var snoozedUntil: Date??

    public init(
        status: ConversationStatus? = nil, priority: ConversationPriority? = nil, assigneeId: AgentID?? = nil,
        teamId: TeamID?? = nil, labels: [String]? = nil, snoozedUntil: Date?? = nil
    ) {
        self.status = status
        self.priority = priority
        self.assigneeId = assigneeId
        self.teamId = teamId
        self.labels = labels
        self.snoozedUntil = snoozedUntil
    }

    /// True when applying it would change nothing.
    public var isEmpty: Bool {
        status == nil && priority == nil && assigneeId == nil && teamId == nil && labels == nil && snoozedUntil == nil
    }
}

public protocol ConversationRepository: Sendable {
    func createConversation(inboxId: InboxID, contactId: ContactID, subject: String?) async throws -> Conversation
    func conversation(id: ConversationID) async throws -> Conversation?
    func listConversations(filter: ConversationFilter, after cursor: PageCursor?, limit: Int) async throws -> Page<Conversation>
    func countConversations(filter: ConversationFilter) async throws -> Int
    /// Moves the customer's or the agents' read position forward to `seq`; false when it did not move.
    func markRead(conversationId: ConversationID, by reader: AuthorKind, upTo seq: Int64) async throws -> Bool
    /// How many open or pending conversations each agent holds (agents with none are absent).
    func openLoad() async throws -> [AgentID: Int]
    /// Applies the change and, with an `actor`, appends a system message recording status and
    /// assignment changes ("status:resolved assignee:ID"), all in one transaction.
    func updateConversation(id: ConversationID, change: ConversationChange, actor: Author?, audit: AuditEvent?) async throws
        -> ConversationUpdate
    /// Opens a conversation with its labels and first message and, when `assign` picks an agent
    /// from the open load it reads in the same transaction, its assignment (a system message
    /// and an audit line): one transaction, so a crash leaves all of it or none.
    func startConversation(_ start: ConversationStart, assign: AssignmentChoice?) async throws -> StartedConversation
}

/// Picks an assignee for a new conversation from each agent's open load, read inside the
/// transaction that starts it; nil leaves it unassigned.
public typealias AssignmentChoice = @Sendable (_ conversation: ConversationID, _ openLoad: [AgentID: Int]) -> AutoAssignment?

public struct AutoAssignment: Sendable {
    public var agent: AgentID
    public var audit: AuditEvent

    public init(agent: AgentID, audit: AuditEvent) {
        self.agent = agent
        self.audit = audit
    }
}

/// Everything a new conversation starts with.
public struct ConversationStart: Sendable {
    public var inboxId: InboxID
    public var contactId: ContactID
    public var subject: String?
    public var labels: [String]
    public var firstMessage: NewMessage

    public init(inboxId: InboxID, contactId: ContactID, subject: String?, labels: [String] = [], firstMessage: NewMessage) {
        self.inboxId = inboxId
        self.contactId = contactId
        self.subject = subject
        self.labels = labels
        self.firstMessage = firstMessage
    }
}

public struct StartedConversation: Sendable {
    /// As it stands after the start (assigned when it was).
    public var conversation: Conversation
    public var first: AppendResult
    /// The system message that recorded the assignment, if one was made.
    public var assignment: Message?

    public init(conversation: Conversation, first: AppendResult, assignment: Message?) {
        self.conversation = conversation
        self.first = first
        self.assignment = assignment
    }
}

/// A conversation after a change, with the system message that recorded it (if any).
public struct ConversationUpdate: Sendable {
    public var conversation: Conversation
    /// The system message that recorded the change, if it changed status or assignee.
    public var historyMessage: Message?

    public init(conversation: Conversation, historyMessage: Message?) {
        self.conversation = conversation
        self.historyMessage = historyMessage
    }
}

extension ConversationRepository {
    public func updateConversation(id: ConversationID, change: ConversationChange, audit: AuditEvent?) async throws -> Conversation {
        try await updateConversation(id: id, change: change, actor: nil, audit: audit).conversation
    }
}

public struct AppendResult: Sendable {
    public var message: Message
    /// False when the same client message id was already stored (the stored message is returned).
    public var created: Bool
    /// Where the conversation belongs, so the message can be routed to its watchers.
    public var contactId: ContactID
    public var inboxId: InboxID

    public init(message: Message, created: Bool, contactId: ContactID, inboxId: InboxID) {
        self.message = message
        self.created = created
        self.contactId = contactId
        self.inboxId = inboxId
    }
}

public protocol MessageRepository: Sendable {
    /// Stores a message with the next sequence number of its conversation, atomically.
    /// Idempotent on `clientMessageId` within a conversation.
    func appendMessage(conversationId: ConversationID, _ message: NewMessage) async throws -> AppendResult
    func message(id: MessageID) async throws -> Message?
    /// Messages with seq > `since`, oldest first.
    func messages(conversationId: ConversationID, since: Int64, limit: Int) async throws -> [Message]
    /// The message a sender stored under `clientMessageId`, if any.
    func message(conversationId: ConversationID, clientMessageId: String) async throws -> Message?
}

public protocol AttachmentRepository: Sendable {
    /// Records an upload; only its uploader can attach it to a message (once).
    func createAttachment(sha256: String, size: Int64, contentType: String, filename: String, uploadedBy: Author) async throws
        -> Attachment
    func attachment(id: AttachmentID) async throws -> Attachment?
    /// The attachment if this customer may see it: they uploaded it, or it is on a non-private
    /// message of one of their conversations.
    func attachment(id: AttachmentID, visibleTo contactId: ContactID) async throws -> Attachment?
}

public protocol AuditRepository: Sendable {
    func appendAudit(_ event: AuditEvent) async throws
    func auditEntries(before id: Int64?, limit: Int) async throws -> [AuditEntry]
}

public protocol SettingsRepository: Sendable {
    func setting(_ key: String) async throws -> String?
    func setSetting(_ key: String, value: String, audit: AuditEvent?) async throws
}

/// Everything the application persists.
public typealias KefuRepositories = AgentRepository & SessionRepository & TeamRepository & InboxRepository & ContactRepository
    & ConversationRepository & MessageRepository & AttachmentRepository & AuditRepository & SettingsRepository
    & WidgetSessionRepository & CannedReplyRepository & MailRepository & EmailCodeRepository & AccountRepository
    & TwoFactorResetRepository & AuthorizationRepository & ServiceTokenRepository

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

public protocol CannedReplyRepository: Sendable {
    func createCannedReply(shortcut: String, body: String, createdBy: AgentID?, audit: AuditEvent?) async throws -> CannedReply
    func cannedReplies() async throws -> [CannedReply]
    func deleteCannedReply(id: String, audit: AuditEvent?) async throws
}

public protocol DatabaseHealth: Sendable {
    /// True when the database answers.
    func ping() async -> Bool
}

extension SQLStore: DatabaseHealth {}

/// What happened to a received mail.
public struct MailIngestOutcome: Sendable {
    public var mailId: String
    /// The same Message-ID was stored before: nothing was added.
    public var duplicate: Bool
    public var conversation: Conversation?
    /// The message the mail became (nil for a duplicate).
    public var appended: AppendResult?
    public var contact: Contact?
    public var newConversation: Bool
    public var reopened: Bool
    /// The status change recorded when a resolved conversation was reopened.
    public var reopenMessage: Message?

    public init(
        mailId: String, duplicate: Bool, conversation: Conversation? = nil, appended: AppendResult? = nil, contact: Contact? = nil,
        newConversation: Bool = false, reopened: Bool = false, reopenMessage: Message? = nil
    ) {
        self.mailId = mailId
        self.duplicate = duplicate
        self.conversation = conversation
        self.appended = appended
        self.contact = contact
        self.newConversation = newConversation
        self.reopened = reopened
        self.reopenMessage = reopenMessage
    }
}

/// A received mail as stored (for "view original" and the threading of later mail).
public struct MailRecord: Sendable, Equatable, Codable {
    public var id: String
    public var messageId: String
    public var conversationId: ConversationID?
    public var messageRef: MessageID?
    public var rawSha256: String
    public var size: Int64
    public var fromAddress: String?
    public var subject: String
    public var automatic: String?
    public var warnings: [String]
    public var createdAt: Date
}

/// The address a conversation's mail goes out from and comes back to.
public struct EmailThread: Sendable, Equatable {
    public var conversationId: ConversationID
    public var replyToken: String
    public var customerAddress: String
}

public enum OutboxStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case sending
    case sent
    case failed
    /// No relay is configured: kept here for an admin to read (the demo's "mail server").
    case local
    /// Not needed after all (a chat reply the visitor read in the widget before it was due).
    case skipped
}

public enum OutboxKind: String, Sendable, Codable {
    case reply
    /// An agent's chat reply for a visitor who left an email and did not read it in the widget.
    case chatReply = "chat_reply"
    case acknowledgement
    case notification
}

/// A mail ready to send: composed once, so every attempt sends the same bytes and Message-ID.
public struct NewOutboxMail: Sendable, Equatable {
    public var kind: OutboxKind
    /// At most one outbox mail per key ("reply:MESSAGE", "ack:CONVERSATION").
    public var dedupKey: String
    public var conversationId: ConversationID?
    public var messageRef: MessageID?
    public var mailFrom: String
    public var recipients: [String]
    public var messageId: String
    public var subject: String
    public var rawSha256: String
    /// Keep locally instead of sending (no relay configured).
    public var local: Bool
    /// Not to be sent before this time (a chat reply waits to see whether it is read in the widget).
    public var notBefore: Date?

    public init(
        kind: OutboxKind, dedupKey: String, conversationId: ConversationID?, messageRef: MessageID?, mailFrom: String, recipients: [String],
        messageId: String, subject: String, rawSha256: String, local: Bool, notBefore: Date? = nil
    ) {
        self.notBefore = notBefore
        self.kind = kind
        self.dedupKey = dedupKey
        self.conversationId = conversationId
        self.messageRef = messageRef
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.messageId = messageId
        self.subject = subject
        self.rawSha256 = rawSha256
        self.local = local
    }
}

public struct OutboxMail: Sendable, Equatable, Codable {
    public var id: String
    public var kind: OutboxKind
    public var conversationId: ConversationID?
    public var messageRef: MessageID?
    public var mailFrom: String
    public var recipients: [String]
    public var messageId: String
    public var subject: String
    public var rawSha256: String
    public var status: OutboxStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?
}

public protocol MailRepository: Sendable {
    /// Stores a received mail and the message it becomes, in one transaction: the contact with
    /// its sender address (created when new), the conversation `MailThreading` picks (new ones
    /// in `inboxId`, with a reply address), reopening a resolved one when it says so. A
    /// Message-ID seen before is a duplicate and changes nothing.
    func ingestMail(_ mail: InboundMail, inboxId: InboxID, reopenWindow: TimeInterval) async throws -> MailIngestOutcome
    func mails(conversationId: ConversationID) async throws -> [MailRecord]
    func mail(id: String) async throws -> MailRecord?
    /// Message-IDs of every mail in the conversation, received and sent, oldest first.
    func threadMessageIds(conversationId: ConversationID) async throws -> [String]
    /// The conversation's reply address token, created on first use.
    func emailThread(conversationId: ConversationID, customerAddress: String) async throws -> EmailThread
    func inbox(emailAddress: String) async throws -> Inbox?
    func setInboxEmailAddress(id: InboxID, address: String?) async throws

    /// Queues a mail; a second mail with the same dedup key returns the first.
    func enqueueMail(_ mail: NewOutboxMail) async throws -> (mail: OutboxMail, created: Bool)
    /// Takes up to `limit` queued mails that are due, leasing them for `lease` seconds so a
    /// crashed sender's mail is taken again after the lease.
    func claimDueMail(now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxMail]
    func markMailSent(id: String, at: Date) async throws
    func markMailRetry(id: String, error: String, nextAttemptAt: Date) async throws
    func markMailFailed(id: String, error: String) async throws
    /// Ends a claimed mail without sending it: `.local` (no relay) or `.skipped` (no longer needed).
    func markMail(id: String, status: OutboxStatus) async throws
    func outbox(status: OutboxStatus?, limit: Int) async throws -> [OutboxMail]
    func outbox(messageRefs: [MessageID]) async throws -> [MessageID: OutboxMail]
    func outboxMail(id: String) async throws -> OutboxMail?
    /// Agents' replies in email conversations since `since` that have no outbox mail (stored
    /// just before a crash): the sender queues them on start.
    func unsentReplies(since: Date, limit: Int) async throws -> [Message]
}

/// Wallet customers' accounts (issue 5): credentials, mailed tokens, sessions, security events.
public protocol AccountRepository: Sendable {
    /// Creates the account and links it to the contact with that email (created when new), so
    /// the customer is the same on every support channel. `StoreError.conflict` when taken.
    func createAccount(email: String, passwordHash: String, locale: String?, event: AccountEvent) async throws -> Account
    func account(id: AccountID) async throws -> Account?
    func account(contactId: ContactID) async throws -> Account?
    /// The account with its secrets, for the login and password paths only.
    func accountCredentials(email: String) async throws -> (Account, AccountCredentials)?
    func accountCredentials(id: AccountID) async throws -> (Account, AccountCredentials)?
    /// The newest `limit` earlier password hashes (the current one first).
    func passwordHistory(accountId: AccountID, limit: Int) async throws -> [String]
    /// Sets a new password (keeping the old one in the history), optionally ends every session
    /// and locks withdrawals until a time, and records the event, in one transaction.
    func setAccountPassword(
        accountId: AccountID, passwordHash: String, revokeSessions: Bool, lockWithdrawalsUntil: Date?, event: AccountEvent
    ) async throws
    func markAccountEmailVerified(accountId: AccountID, event: AccountEvent) async throws

    /// Stores a token (hashed) and voids the account's earlier unused tokens of that purpose.
    func createAccountToken(accountId: AccountID, purpose: AccountTokenPurpose, tokenHash: String, expiresAt: Date, payload: String?) async throws
    /// Uses the token up and returns its account and payload (exactly one caller wins).
    func consumeAccountTokenPayload(purpose: AccountTokenPurpose, tokenHash: String) async throws -> (AccountID, String?)?
    /// Changes the sign-in address (verified by the link that confirmed it), moves the contact's
    /// address along when nobody else has it, pauses withdrawals, records the event.
    /// `StoreError.conflict` when another account has the address.
    func changeAccountEmail(accountId: AccountID, email: String, lockWithdrawalsUntil: Date, event: AccountEvent) async throws
    /// The account of a live token, without using it up.
    func accountForToken(purpose: AccountTokenPurpose, tokenHash: String) async throws -> AccountID?
    /// Uses the token up: true for exactly one caller however many try at once.
    func consumeAccountToken(purpose: AccountTokenPurpose, tokenHash: String) async throws -> AccountID?

    func createAccountSession(accountId: AccountID, tokenHash: String, userAgent: String?, clientAddress: String?, expiresAt: Date)
        async throws -> AccountSession
    /// The live session for a token hash (and its account), touching `last_seen_at`.
    func accountSession(tokenHash: String) async throws -> (AccountSession, Account)?
    func revokeAccountSession(tokenHash: String) async throws

    func appendAccountEvent(accountId: AccountID, _ event: AccountEvent) async throws
    func accountEvents(accountId: AccountID, limit: Int) async throws -> [AccountEvent]

    /// Stores a new (sealed) TOTP secret, not yet enabled; false when 2FA is already on.
    func startAccountTOTP(accountId: AccountID, sealedSecret: String) async throws -> Bool
    /// Turns 2FA on with the confirming code's step claimed and fresh recovery codes (hashes),
    /// pausing withdrawals; false when it was on already or no secret was started.
    func enableAccountTOTP(accountId: AccountID, step: Int64, recoveryCodeHashes: [String], lockWithdrawalsUntil: Date, event: AccountEvent)
        async throws -> Bool
    func disableAccountTOTP(accountId: AccountID, lockWithdrawalsUntil: Date, event: AccountEvent) async throws
    /// Claims a TOTP time step: true for exactly one caller per step (no replay, also in parallel).
    func claimAccountTOTPStep(accountId: AccountID, step: Int64) async throws -> Bool
    /// Uses up one recovery code: true for exactly one caller.
    func consumeRecoveryCode(accountId: AccountID, codeHash: String) async throws -> Bool
    func remainingRecoveryCodes(accountId: AccountID) async throws -> Int

    /// The account's live sessions, newest first.
    func accountSessions(accountId: AccountID) async throws -> [AccountSession]
    /// Ends one of the account's sessions; false when there is no such live session.
    func revokeAccountSession(id: String, accountId: AccountID) async throws -> Bool
    /// Ends every session but `except`, and records why.
    func revokeAccountSessions(accountId: AccountID, except: String?, event: AccountEvent) async throws
    /// Whether this browser (user agent) and this address have been used to sign in before.
    func seenBefore(accountId: AccountID, userAgent: String?, clientAddress: String?) async throws -> (device: Bool, address: Bool, anything: Bool)
    /// Blocks withdrawals until `until` (never shortening a longer lock) and records the event.
    func lockWithdrawals(accountId: AccountID, until: Date, event: AccountEvent) async throws
    func setAntiPhishingCode(accountId: AccountID, code: String?, event: AccountEvent) async throws
}

/// Supervised 2FA resets. Every state change is one conditional UPDATE, so two supervisors, a
/// customer's cancel and the timer racing each other leave exactly one outcome.
public protocol TwoFactorResetRepository: Sendable {
    /// Opens a reset awaiting approval, records the account event and the audit entry.
    /// `StoreError.conflict` when the account already has an open one.
    func requestTwoFactorReset(
        accountId: AccountID, reason: String, requestedBy: AgentID, conversationId: ConversationID?, event: AccountEvent, audit: AuditEvent
    ) async throws -> TwoFactorReset
    func twoFactorReset(id: String) async throws -> TwoFactorReset?
    /// The account's newest reset, open or not.
    func latestTwoFactorReset(accountId: AccountID) async throws -> TwoFactorReset?
    /// Resets in these states, oldest first.
    func twoFactorResets(statuses: [TwoFactorReset.Status], limit: Int) async throws -> [TwoFactorReset]
    /// Approves (→ scheduled at `appliesAt`) or rejects a reset awaiting approval, by someone
    /// other than its requester; rejecting also stops a scheduled one. Nil when it was not in a
    /// state that allows this (someone else was first).
    func decideTwoFactorReset(
        id: String, approve: Bool, by: AgentID, at: Date, appliesAt: Date?, event: AccountEvent, audit: AuditEvent
    ) async throws -> TwoFactorReset?
    /// The customer stops an open reset; nil when none was open under that id.
    func cancelTwoFactorReset(id: String, at: Date, event: AccountEvent, audit: AuditEvent) async throws -> TwoFactorReset?
    /// Scheduled resets whose time has come.
    func dueTwoFactorResets(now: Date, limit: Int) async throws -> [TwoFactorReset]
    /// Applies a due reset in one transaction: 2FA off, recovery codes gone, every session
    /// ended, withdrawals paused until `lockWithdrawalsUntil`. Nil unless this caller applied it.
    func applyTwoFactorReset(id: String, at: Date, lockWithdrawalsUntil: Date, event: AccountEvent, audit: AuditEvent) async throws -> TwoFactorReset?
}

/// The limits and risk engine's records. `authorize` is atomic per account: parallel requests
/// for one account are decided one after the other, each seeing the ones before.
public protocol AuthorizationRepository: Sendable {
    /// Decides with `decide` against the account's activity and records the decision, in one
    /// transaction. The same idempotency key returns the first record (`replayed`); with a
    /// different request it is `StoreError.conflict`. `StoreError.notFound` for no account.
    func authorize(
        accountId: AccountID, _ new: NewAuthorization, now: Date,
        decide: @Sendable (AccountActivity) -> Decision
    ) async throws -> (authorization: Authorization, replayed: Bool)
    func authorization(id: String) async throws -> Authorization?
    /// Voids a counted authorization (its amount is given back); nil when there is none to void.
    func voidAuthorization(id: String, accountId: AccountID, at: Date, audit: AuditEvent) async throws -> Authorization?
    /// The account's counted usage of a kind, for display (same figures a decision would see).
    func accountActivity(accountId: AccountID, kind: MovementKind, destination: String?, now: Date) async throws -> AccountActivity?
    /// Sets the verification tier and/or the verified country (nil leaves it), audited.
    func updateAccountVerification(accountId: AccountID, tier: Int?, country: String??, audit: AuditEvent) async throws -> Account
    /// When the oldest counted movement of each kind still inside the 24-hour and the 30-day
    /// window happened: each window starts to free up that long after it. Kinds with nothing
    /// counted in 30 days are absent. Exact however many movements the account has.
    func windowStarts(accountId: AccountID, now: Date) async throws -> [MovementKind: WindowStarts]
    /// Held authorizations, oldest first: everyone's (the review queue) or one account's.
    func heldAuthorizations(accountId: AccountID?, limit: Int) async throws -> [Authorization]
    /// The account's latest authorizations, newest first.
    func authorizations(accountId: AccountID, limit: Int) async throws -> [Authorization]
    /// The steps agents took on a hold, by time (steps in the same millisecond in no set order).
    func holdReviews(authorizationId: String) async throws -> [HoldReview]
    /// An agent's review, in one transaction: a rejection ends the hold; a release ends it too,
    /// unless the value is at least `twoPersonFrom` and no other agent approved it yet (then it
    /// is recorded as the first approval). Audited as `authorization.hold_approve/release/reject`
    /// (`audit` gives the actor and subject).
    func reviewHold(
        id: String, by agent: AgentID, release: Bool, note: String, twoPersonFrom: USD?, at: Date, audit: AuditEvent
    ) async throws -> HoldOutcome
}

/// The oldest counted movements still inside an account's rolling windows.
public struct WindowStarts: Sendable, Equatable {
    public var oldest24h: Date?
    public var oldest30d: Date

    public init(oldest24h: Date?, oldest30d: Date) {
        self.oldest24h = oldest24h
        self.oldest30d = oldest30d
    }
}

/// A machine caller (the wallet's backend) with one scope, e.g. `risk`.
public struct ServiceToken: Sendable, Equatable {
    public var id: String
    public var name: String
    public var scope: String

    public init(id: String, name: String, scope: String) {
        self.id = id
        self.name = name
        self.scope = scope
    }
}

public protocol ServiceTokenRepository: Sendable {
    func createServiceToken(name: String, scope: String, tokenHash: String, audit: AuditEvent) async throws -> ServiceToken
    /// The live (unrevoked) token with this hash.
    func serviceToken(tokenHash: String) async throws -> ServiceToken?
}

extension AccountRepository {
    public func createAccountToken(accountId: AccountID, purpose: AccountTokenPurpose, tokenHash: String, expiresAt: Date) async throws {
        try await createAccountToken(accountId: accountId, purpose: purpose, tokenHash: tokenHash, expiresAt: expiresAt, payload: nil)
    }
}
