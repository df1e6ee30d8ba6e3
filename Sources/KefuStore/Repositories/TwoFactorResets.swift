import Foundation
import KefuCore

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
