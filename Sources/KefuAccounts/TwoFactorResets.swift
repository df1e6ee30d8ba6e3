import Foundation
import KefuCore
import KefuStore
import Logging

/// The supervised 2FA reset (for a customer who lost their authenticator and recovery codes).
/// Social engineering of support is how wallet accounts get taken over, so no single person can
/// do it and the owner always gets time to object:
/// 1. an agent asks, with a reason (how they checked who the customer is);
/// 2. a supervisor other than that agent approves (or rejects);
/// 3. the customer is mailed at once with a link that cancels it;
/// 4. after the waiting period the timer applies it: 2FA off, every session ended, withdrawals
///    paused, the customer mailed again.
/// Each step is audited and kept in the account's security history.
public struct TwoFactorResets: Sendable {
    public let store: any AccountRepository & TwoFactorResetRepository
    public let accounts: AccountService
    /// Between approval and the reset taking effect (48 hours by default).
    public let wait: TimeInterval
    public let logger: Logger
    public let now: @Sendable () -> Date

    public func request(
        _ account: Account, reason raw: String, by agent: Agent, conversationId: ConversationID?, address: String?
    ) async throws -> TwoFactorReset {
        let reason = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.count < TwoFactorReset.reasonLength.lowerBound {
            throw AccountError.invalid("reason", .tooShort(min: TwoFactorReset.reasonLength.lowerBound))
        }
        if reason.count > TwoFactorReset.reasonLength.upperBound {
            throw AccountError.invalid("reason", .tooLong(max: TwoFactorReset.reasonLength.upperBound))
        }
        guard account.totpEnabled else { throw AccountError.conflict("two_factor") }
        do {
            return try await store.requestTwoFactorReset(
                accountId: account.id, reason: reason, requestedBy: agent.id, conversationId: conversationId,
                event: AccountEvent(kind: .twoFactorResetRequested, detail: ["by": agent.id.rawValue], clientAddress: address, createdAt: now()),
                audit: AuditEvent(
                    actor: .agent(agent.id), action: "account.two_factor_reset_requested", subjectKind: "account", subjectId: account.id.rawValue,
                    detail: ["reason": reason], clientAddress: address))
        } catch StoreError.conflict {
            throw AccountError.conflict("two_factor_reset")
        }
    }

    /// A supervisor's decision. Approval starts the waiting period and mails the customer the
    /// link that cancels it.
    public func decide(id: String, approve: Bool, by agent: Agent, address: String?) async throws -> TwoFactorReset {
        guard agent.role >= .supervisor else { throw AccountError.forbidden }
        guard let reset = try await store.twoFactorReset(id: id) else { throw AccountError.notFound("two_factor_reset") }
        // Four eyes: whoever asked cannot approve (nor reject: they can ask another supervisor).
        guard reset.requestedBy != agent.id else { throw AccountError.approvalByRequester }
        let at = now()
        let appliesAt = at.addingTimeInterval(wait)
        let action = approve ? "account.two_factor_reset_approved" : "account.two_factor_reset_rejected"
        guard
            let decided = try await store.decideTwoFactorReset(
                id: id, approve: approve, by: agent.id, at: at, appliesAt: approve ? appliesAt : nil,
                event: AccountEvent(
                    kind: approve ? .twoFactorResetScheduled : .twoFactorResetRejected, detail: ["by": agent.id.rawValue], clientAddress: address,
                    createdAt: at),
                audit: AuditEvent(
                    actor: .agent(agent.id), action: action, subjectKind: "account", subjectId: reset.accountId.rawValue,
                    detail: ["reset": id, "requested_by": reset.requestedBy.rawValue], clientAddress: address))
        else { throw AccountError.conflict("two_factor_reset") }
        if approve, let account = try await store.account(id: decided.accountId) {
            let (link, key) = try await accounts.issueLink(
                account, purpose: .cancelTwoFactorReset, lifetime: wait, path: "/account/2fa-reset/cancel", payload: decided.id)
            try await accounts.mail(
                account,
                AccountMails.twoFactorResetScheduled(
                    appliesAt: appliesAt, lockHours: accounts.settings.withdrawalLockHours, link: link, locale: account.locale),
                key: key)
        }
        return decided
    }

    /// The customer stops it with the mailed link (no sign-in needed: they may be locked out).
    public func cancel(token: String, userAgent: String?, address: String?) async throws {
        guard token.count <= 200,
            let (accountId, payload) = try await store.consumeAccountTokenPayload(purpose: .cancelTwoFactorReset, tokenHash: TokenDigest.of(token)),
            let id = payload, let account = try await store.account(id: accountId)
        else { throw AccountError.invalidToken }
        try await cancel(id: id, account: account, userAgent: userAgent, address: address)
    }

    /// The account's reset still waiting for approval or for its time (one at most).
    public func open(for account: Account) async throws -> TwoFactorReset? {
        try await store.latestTwoFactorReset(accountId: account.id).flatMap { $0.status.isOpen ? $0 : nil }
    }

    /// The signed-in customer stops their account's open reset.
    public func cancelOpen(_ account: Account, userAgent: String?, address: String?) async throws {
        guard let reset = try await open(for: account) else { throw AccountError.notFound("two_factor_reset") }
        try await cancel(id: reset.id, account: account, userAgent: userAgent, address: address)
    }

    public func cancel(id: String, account: Account, userAgent: String?, address: String?) async throws {
        let customer = account.contactId.map(Author.contact) ?? .system
        guard
            try await store.cancelTwoFactorReset(
                id: id, at: now(),
                event: AccountEvent(kind: .twoFactorResetCancelled, clientAddress: address, userAgent: userAgent, createdAt: now()),
                audit: AuditEvent(
                    actor: customer, action: "account.two_factor_reset_cancelled", subjectKind: "account", subjectId: account.id.rawValue,
                    detail: ["reset": id], clientAddress: address)) != nil
        else { throw AccountError.conflict("two_factor_reset") }
        try await accounts.mail(account, AccountMails.twoFactorResetCancelled(locale: account.locale), key: "2fa-reset-cancelled:\(id)")
    }

    /// Applies every reset whose waiting period is over; the timer calls this. Safe to run on
    /// several servers at once: each reset is applied by exactly one caller.
    @discardableResult
    public func applyDue() async -> Int {
        var applied = 0
        do {
            for reset in try await store.dueTwoFactorResets(now: now(), limit: 100) {
                let at = now()
                guard
                    let done = try await store.applyTwoFactorReset(
                        id: reset.id, at: at, lockWithdrawalsUntil: at.addingTimeInterval(accounts.settings.withdrawalLock),
                        event: AccountEvent(kind: .twoFactorResetApplied, detail: ["reset": reset.id], createdAt: at),
                        audit: AuditEvent(
                            actor: .system, action: "account.two_factor_reset_applied", subjectKind: "account", subjectId: reset.accountId.rawValue,
                            detail: ["reset": reset.id]))
                else { continue }
                applied += 1
                if let account = try await store.account(id: done.accountId) {
                    try await accounts.mail(
                        account, AccountMails.twoFactorResetApplied(lockHours: accounts.settings.withdrawalLockHours, locale: account.locale),
                        key: "2fa-reset-applied:\(done.id)")
                }
            }
        } catch is CancellationError {
            // Shutting down: the next start picks up where this one stopped.
        } catch {
            logger.error("applying due 2FA resets failed", metadata: ["error": "\(DatabaseFailure.logged(error))"])
        }
        return applied
    }

    public init(store: any AccountRepository & TwoFactorResetRepository, accounts: AccountService, wait: TimeInterval, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.accounts = accounts
        self.wait = wait
        self.logger = logger
        self.now = now
    }
}
