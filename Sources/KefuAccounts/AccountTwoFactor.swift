import Crypto
import Foundation
import KefuCore
import KefuStore

/// A customer's TOTP second factor (RFC 6238): enrolment with a QR code drawn by Kefu, ten
/// single-use recovery codes, and the check used by login and password reset. A code works
/// once: its time step is claimed with one conditional UPDATE, so parallel logins with the same
/// code let exactly one in.
public struct AccountTwoFactor: Sendable {
    public let store: any AccountRepository
    public let box: SecretBox
    public let totp = TOTPService()
    public let withdrawalLock: TimeInterval
    public let now: @Sendable () -> Date

    public init(store: any AccountRepository, secretKey: Data, withdrawalLock: TimeInterval, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.box = SecretBox(secretKey: secretKey, purpose: "account-totp")
        self.withdrawalLock = withdrawalLock
        self.now = now
    }

    public struct Enrollment: Encodable, Sendable {
        public let secret: String
        public let otpauthUri: String
        public let qrSvg: String
    }

    public func begin(_ account: Account) async throws -> Enrollment {
        let secret = totp.newSecret()
        guard try await store.startAccountTOTP(accountId: account.id, sealedSecret: try box.seal(secret)) else {
            throw AccountError.conflict("two_factor")
        }
        let uri = totp.provisioningURI(secret: secret, account: account.email)
        return Enrollment(secret: totp.manualEntryKey(secret: secret, account: account.email), otpauthUri: uri, qrSvg: try QRCode(text: uri).svg())
    }

    public struct RecoveryCodes: Encodable, Sendable {
        /// Shown this once; Kefu keeps only their hashes.
        public let recoveryCodes: [String]
    }

    /// The first code turns 2FA on; the answer carries the recovery codes.
    public func confirm(_ account: Account, code: String, address: String?, userAgent: String?) async throws -> RecoveryCodes {
        guard !account.totpEnabled, let (_, credentials) = try await store.accountCredentials(id: account.id),
            let sealed = credentials.sealedTOTPSecret, let secret = try? box.open(sealed)
        else { throw AccountError.conflict("two_factor") }
        guard let step = totp.matchingStep(secret: secret, code: code, now: now()) else { throw AccountError.invalidOTP }
        let codes = (0..<10).map { _ in Self.newRecoveryCode() }
        guard
            try await store.enableAccountTOTP(
                accountId: account.id, step: step, recoveryCodeHashes: codes.map(Self.digest), lockWithdrawalsUntil: now().addingTimeInterval(withdrawalLock),
                event: AccountEvent(kind: .twoFactorEnabled, clientAddress: address, userAgent: userAgent, createdAt: now()))
        else { throw AccountError.conflict("two_factor") }
        return RecoveryCodes(recoveryCodes: codes)
    }

    /// A current authenticator code or an unused recovery code, each accepted once.
    public func check(_ account: Account, credentials: AccountCredentials, code: String, address: String?, userAgent: String?) async throws -> Bool {
        let trimmed = code.trimmingCharacters(in: .whitespaces)
        if trimmed.count == 6, trimmed.allSatisfy(\.isNumber) {
            guard let sealed = credentials.sealedTOTPSecret, let secret = try? box.open(sealed),
                let step = totp.matchingStep(secret: secret, code: trimmed, now: now())
            else { return false }
            return try await store.claimAccountTOTPStep(accountId: account.id, step: step)
        }
        guard try await store.consumeRecoveryCode(accountId: account.id, codeHash: Self.digest(trimmed)) else { return false }
        try await store.appendAccountEvent(
            accountId: account.id, AccountEvent(kind: .recoveryCodeUsed, clientAddress: address, userAgent: userAgent, createdAt: now()))
        return true
    }

    public func disable(_ account: Account, credentials: AccountCredentials, address: String?, userAgent: String?) async throws {
        try await store.disableAccountTOTP(
            accountId: account.id, lockWithdrawalsUntil: now().addingTimeInterval(withdrawalLock),
            event: AccountEvent(kind: .twoFactorDisabled, clientAddress: address, userAgent: userAgent, createdAt: now()))
    }

    /// "abcde-fghij": 10 characters of lower-case base32, 50 bits, typed once in an emergency.
    public static func newRecoveryCode() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<10).map { _ in alphabet[Int(generator.next() % 32)] }
        return String(characters[0..<5]) + "-" + String(characters[5..<10])
    }

    /// Recovery codes are compared without case, spaces or dashes.
    public static func digest(_ code: String) -> String {
        let normalized = code.lowercased().filter { $0.isLetter || $0.isNumber }
        return TokenDigest.of("recovery:" + normalized)
    }
}
