import Foundation
import KefuCore

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

extension AccountRepository {
    public func createAccountToken(accountId: AccountID, purpose: AccountTokenPurpose, tokenHash: String, expiresAt: Date) async throws {
        try await createAccountToken(accountId: accountId, purpose: purpose, tokenHash: tokenHash, expiresAt: expiresAt, payload: nil)
    }
}
