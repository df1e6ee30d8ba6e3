import Crypto
import Foundation
import KefuCore
import KefuStore

/// Wallet customers' self-service: registration, email verification, login, password reset.
/// No answer, status or timing tells whether an email has an account (OWASP ASVS V6, NIST
/// SP 800-63B): unknown addresses cost the same bcrypt time, reset requests answer before any
/// mail work is done, registrations of taken addresses look like new ones.
public struct AccountService: Sendable {
    public struct Settings: Sendable {
        public var publicURL: String
        public var resetLifetime: TimeInterval = 30 * 60
        public var verifyLifetime: TimeInterval = 24 * 3600
        public var sessionLifetime: TimeInterval = 30 * 24 * 3600
        /// Withdrawals pause this long after a password reset or another security change.
        public var withdrawalLock: TimeInterval = 24 * 3600
        /// The lock as the mails state it.
        public var withdrawalLockHours: Int { Int(withdrawalLock / 3600) }
        /// "This wasn't me" freezes withdrawals this long (support lifts it sooner after a check).
        public var freeze: TimeInterval = 7 * 24 * 3600
        public var wasntMeLifetime: TimeInterval = 7 * 24 * 3600

        public init(publicURL: String, resetLifetime: TimeInterval = 30 * 60, verifyLifetime: TimeInterval = 24 * 3600, sessionLifetime: TimeInterval = 30 * 24 * 3600, withdrawalLock: TimeInterval = 24 * 3600, freeze: TimeInterval = 7 * 24 * 3600, wasntMeLifetime: TimeInterval = 7 * 24 * 3600) {
            self.publicURL = publicURL
            self.resetLifetime = resetLifetime
            self.verifyLifetime = verifyLifetime
            self.sessionLifetime = sessionLifetime
            self.withdrawalLock = withdrawalLock
            self.freeze = freeze
            self.wasntMeLifetime = wasntMeLifetime
        }
    }

    /// Every account mail goes through here: the anti-phishing code on top, queued in the outbox.
    /// (To the account's address unless `address` says otherwise: an email change confirms at
    /// the new one.)
    public func mail(_ account: Account, _ content: (subject: String, text: String), key: String, to address: String? = nil) async throws {
        try await mailer.sendNotice(
            to: address ?? account.email, subject: content.subject,
            text: AccountMails.withAntiPhishingCode(content.text, code: account.antiPhishingCode, locale: account.locale), key: key)
    }

    public let store: any AccountRepository
    public let hasher: PasswordHasher
    public let policy: CustomerPasswordPolicy
    public let mailer: any CustomerNotifier
    public let throttler: any CredentialThrottle
    /// Mail and events that the answer does not wait for.
    public let background: BackgroundWork
    public let dummyHash: String
    public let settings: Settings
    public let twoFactor: AccountTwoFactor
    public let devices: KnownDevices
    public let now: @Sendable () -> Date

    /// Reset requests per account; per address they follow `ThrottlePolicy.perAddress`, so
    /// customers behind one carrier NAT or office address do not lock each other out.
    public static let resetPolicy = ThrottlePolicy(freeAttempts: 3, window: 15 * 60, baseDelay: 30, maxDelay: 300)

    /// Every guess at a customer's secrets (password, TOTP code, recovery code; login, reset,
    /// email change, 2FA off) counts against one budget per account, and against the same
    /// per-address budget as agents' sign-ins (`AgentAuthService`): separate budgets per form
    /// let an attacker add them up.
    /// A device that signed in to the account before (with its password as it is now, `stamp`)
    /// is counted on its own (`KnownDevices`).
    public func guessKeys(email: String, address: String?, device: String? = nil, stamp: String? = nil) -> [(String, ThrottlePolicy)] {
        devices.guessKeys(account: Self.throttleAccount(email), address: address, device: device, stamp: stamp)
    }

    public static func throttleAccount(_ email: String) -> String { "customer:\(EmailAddress.normalize(email))" }

    /// Reset requests are not guesses: their own budgets (per account, and per address so a
    /// shared address is not locked out by them).
    public func resetRequestKeys(email: String, address: String?) -> [(String, ThrottlePolicy)] {
        [("customer-reset:\(EmailAddress.normalize(email))", Self.resetPolicy), ("customer-reset-address:\(ClientNetwork.key(address))", .perAddress)]
    }

    /// Every rule the password breaks, the history included (its last `historyDepth` hashes).
    public func checkPassword(_ password: String, email: String, history: [String]) async throws {
        var broken = policy.broken(password, email: email)
        for hash in history.prefix(policy.historyDepth) where try await hasher.verify(password, hash: hash) {
            broken.append(.reused)
            break
        }
        guard broken.isEmpty else {
            var failure = ValidationFailure()
            for rule in broken { failure.add("password", .rule(rule.rawValue)) }
            throw AccountError.invalid(failure)
        }
    }

    public struct Registered: Encodable, Sendable {
        public let id: AccountID
        public let email: String
        public let emailVerified: Bool
    }

    /// Every registration mails the address (a link, or "you already have an account") from
    /// the official support address: limited per inbox and per client like the widget's code
    /// mails, or anyone could fill an inbox with them. Taken and new addresses meet the same
    /// limits, so a 429 tells nothing about the address.
    public static let registrationsPerMailbox = ThrottlePolicy(freeAttempts: 3, window: 15 * 60, baseDelay: 60, maxDelay: 900)
    public static let registrationsPerClient = ThrottlePolicy(freeAttempts: 20, window: 15 * 60, baseDelay: 30, maxDelay: 900)

    public func register(email rawEmail: String, password: String, locale: String?, userAgent: String?, address: String?) async throws -> Registered {
        let email = EmailAddress.normalize(rawEmail)
        guard EmailAddress.isPlausible(email) else { throw AccountError.invalid("email", .invalid) }
        _ = try await throttler.admit([
            ("customer-register:\(EmailAddress.mailbox(email))", Self.registrationsPerMailbox),
            ("customer-register-client:\(ClientNetwork.key(address))", Self.registrationsPerClient),
        ])
        try await checkPassword(password, email: email, history: [])
        let hash = try await hasher.hash(password)
        let chosenLocale = locale.map { UILocale(tag: $0)?.rawValue ?? UILocale.en.rawValue }
        do {
            let account = try await store.createAccount(
                email: email, passwordHash: hash, locale: chosenLocale,
                event: AccountEvent(kind: .registered, clientAddress: address, userAgent: userAgent, createdAt: now()))
            try await sendVerification(account)
            return Registered(id: account.id, email: account.email, emailVerified: false)
        } catch StoreError.conflict {
            // Taken: the same answer as a new account; the owner hears of it by mail.
            let mail = AccountMails.alreadyRegistered(locale: chosenLocale)
            try await mailer.sendNotice(to: email, subject: mail.subject, text: mail.text, key: "taken:\(UUID().uuidString)")
            return Registered(id: .generate(), email: email, emailVerified: false)
        }
    }

    /// A new single-use token for a mailed link (older ones of that purpose are voided): the
    /// link, and a dedup key for its mail.
    public func issueLink(
        _ account: Account, purpose: AccountTokenPurpose, lifetime: TimeInterval, path: String, payload: String? = nil
    ) async throws -> (link: String, key: String) {
        let token = RandomToken.make()
        let digest = TokenDigest.of(token)
        try await store.createAccountToken(
            accountId: account.id, purpose: purpose, tokenHash: digest, expiresAt: now().addingTimeInterval(lifetime), payload: payload)
        return ("\(settings.publicURL)\(path)?token=\(token)", "\(purpose.rawValue):\(digest)")
    }

    public func sendVerification(_ account: Account) async throws {
        let (link, key) = try await issueLink(account, purpose: .verifyEmail, lifetime: settings.verifyLifetime, path: "/account/verify")
        try await mail(account, AccountMails.verify(link: link, locale: account.locale), key: key)
    }

    public func verifyEmail(token: String, userAgent: String?, address: String?) async throws {
        guard token.count <= 200, let id = try await store.consumeAccountToken(purpose: .verifyEmail, tokenHash: TokenDigest.of(token)) else {
            throw AccountError.invalidToken
        }
        try await store.markAccountEmailVerified(
            accountId: id, event: AccountEvent(kind: .emailVerified, clientAddress: address, userAgent: userAgent, createdAt: now()))
    }

    public struct LoginResult: Encodable, Sendable {
        public let token: String
        public let expiresAt: Date
        public let account: Account
        /// Sent back with later sign-ins from this device (cookie or `deviceToken`), so a
        /// stranger's failures against the account do not hold it up.
        public let deviceToken: String
    }

    /// Email and password (and the code when 2FA is on). Every failure is the same
    /// `invalid_credentials`: it never says which factor was wrong or whether the email exists.
    /// The attempt is counted before the password and the code are checked, so a parallel
    /// burst is admitted one by one.
    public func login(
        email: String, password: String, otp: String?, device: String? = nil, userAgent: String?, address: String?, requestId: String? = nil
    ) async throws -> LoginResult {
        let store = self.store
        let (ticket, keys, found) = try await devices.admitGuess(
            at: Self.throttleAccount(email), address: address, device: device, throttle: throttler,
            lookup: { try await store.accountCredentials(email: email) }, stamp: { $0.1.passwordHash })
        let matches = try await hasher.verify(password, hash: found?.1.passwordHash ?? dummyHash)
        var secondFactor = true
        if let (account, credentials) = found, matches, account.totpEnabled {
            secondFactor = try await twoFactor.check(account, credentials: credentials, code: otp ?? "", address: address, userAgent: userAgent)
        }
        guard let (account, credentials) = found, matches, secondFactor else {
            if let account = found?.0 {
                let event = AccountEvent(kind: .loginFailed, clientAddress: address, userAgent: userAgent, createdAt: now())
                let store = self.store
                background.submit("account.login_failed_event", requestId: requestId) {
                    try await store.appendAccountEvent(accountId: account.id, event)
                }
            }
            throw AccountError.invalidCredentials
        }
        await throttler.giveBack(ticket)
        await throttler.reset(keys[0].0)
        let seen = try await store.seenBefore(accountId: account.id, userAgent: userAgent, clientAddress: address)
        let token = RandomToken.make()
        let session = try await store.createAccountSession(
            accountId: account.id, tokenHash: TokenDigest.of(token), userAgent: userAgent, clientAddress: address,
            expiresAt: now().addingTimeInterval(settings.sessionLifetime))
        try await store.appendAccountEvent(
            accountId: account.id, AccountEvent(kind: .login, clientAddress: address, userAgent: userAgent, createdAt: now()))
        // A known account signing in from a device or network it never used: tell the owner,
        // with a link that ends every session and freezes withdrawals if it was not them.
        if seen.anything && (!seen.device || !seen.address) {
            let service = self
            background.submit("account.new_device_notice", requestId: requestId) {
                try await service.noticeNewDevice(account, userAgent: userAgent, address: address)
            }
        }
        return LoginResult(
            token: token, expiresAt: session.expiresAt, account: account,
            deviceToken: devices.token(account: Self.throttleAccount(account.email), stamp: credentials.passwordHash, current: device))
    }

    /// Always the same quick answer. The mail work runs after the answer is decided, so an
    /// existing account does not take measurably longer than an unknown address.
    public func requestPasswordReset(email rawEmail: String, userAgent: String?, address: String?, requestId: String? = nil) async throws {
        let email = EmailAddress.normalize(rawEmail)
        guard EmailAddress.isPlausible(email) else { throw AccountError.invalid("email", .invalid) }
        // Every request counts, successful or not: the ticket is never given back.
        _ = try await throttler.admit(resetRequestKeys(email: email, address: address))
        let found = try await store.accountCredentials(email: email)?.0
        guard let account = found else { return }
        let service = self
        background.submit("account.password_reset_mail", requestId: requestId) {
            try await service.sendReset(account, userAgent: userAgent, address: address)
        }
    }

    public func sendReset(_ account: Account, userAgent: String?, address: String?) async throws {
        let (link, key) = try await issueLink(account, purpose: .passwordReset, lifetime: settings.resetLifetime, path: "/account/reset")
        try await store.appendAccountEvent(
            accountId: account.id, AccountEvent(kind: .passwordResetRequested, clientAddress: address, userAgent: userAgent, createdAt: now()))
        try await mail(account, AccountMails.reset(link: link, minutes: Int(settings.resetLifetime / 60), locale: account.locale), key: key)
    }

    /// Sets the new password with a live reset token: the token works once (of any number of
    /// parallel tries exactly one wins), every session ends, withdrawals pause, the customer
    /// is told by mail.
    public func confirmPasswordReset(token: String, password: String, otp: String?, userAgent: String?, address: String?) async throws {
        let hash = TokenDigest.of(token)
        guard token.count <= 200, let id = try await store.accountForToken(purpose: .passwordReset, tokenHash: hash),
            let (account, credentials) = try await store.accountCredentials(id: id)
        else { throw AccountError.invalidToken }
        // A mailbox alone never unlocks an account with 2FA: the reset needs a code too.
        if account.totpEnabled {
            let ticket = try await throttler.admit(guessKeys(email: account.email, address: address))
            guard try await twoFactor.check(account, credentials: credentials, code: otp ?? "", address: address, userAgent: userAgent) else {
                throw AccountError.invalidOTP
            }
            await throttler.giveBack(ticket)
        }
        try await checkPassword(password, email: account.email, history: try await store.passwordHistory(accountId: id, limit: policy.historyDepth))
        let newHash = try await hasher.hash(password)
        guard try await store.consumeAccountToken(purpose: .passwordReset, tokenHash: hash) == id else { throw AccountError.invalidToken }
        try await store.setAccountPassword(
            accountId: id, passwordHash: newHash, revokeSessions: true, lockWithdrawalsUntil: now().addingTimeInterval(settings.withdrawalLock),
            event: AccountEvent(kind: .passwordChanged, detail: ["via": "reset"], clientAddress: address, userAgent: userAgent, createdAt: now()))
        // The mailbox proved the owner: strangers' failures no longer hold the account up.
        await throttler.reset(Self.throttleAccount(account.email))
        try await mail(account, AccountMails.passwordChanged(lockHours: settings.withdrawalLockHours, locale: account.locale), key: "changed:\(hash)")
    }

    public func session(token: String) async throws -> (AccountSession, Account) {
        guard token.count <= 200, let found = try await store.accountSession(tokenHash: TokenDigest.of(token)) else {
            throw AccountError.unauthenticated
        }
        return found
    }

    public func noticeNewDevice(_ account: Account, userAgent: String?, address: String?) async throws {
        let (link, key) = try await issueLink(account, purpose: .wasntMe, lifetime: settings.wasntMeLifetime, path: "/account/wasnt-me")
        try await store.appendAccountEvent(
            accountId: account.id, AccountEvent(kind: .newDevice, clientAddress: address, userAgent: userAgent, createdAt: now()))
        try await mail(
            account,
            AccountMails.newDevice(device: userAgent.map { String($0.prefix(120)) } ?? "?", address: address ?? "?", link: link, locale: account.locale),
            key: key)
    }

    /// "This wasn't me": every session ends and withdrawals freeze, from the mailed link alone
    /// (the owner may no longer be able to sign in).
    public func wasntMe(token: String, userAgent: String?, address: String?) async throws {
        guard token.count <= 200, let id = try await store.consumeAccountToken(purpose: .wasntMe, tokenHash: TokenDigest.of(token)) else {
            throw AccountError.invalidToken
        }
        let event = AccountEvent(kind: .wasntMe, clientAddress: address, userAgent: userAgent, createdAt: now())
        try await store.revokeAccountSessions(accountId: id, except: nil, event: event)
        try await store.lockWithdrawals(accountId: id, until: now().addingTimeInterval(settings.freeze), event: event)
    }

    public func setAntiPhishingCode(_ account: Account, code raw: String?, userAgent: String?, address: String?) async throws -> Account {
        var code: String?
        if let raw, !AntiPhishingCode.trimmed(raw).isEmpty {
            let trimmed = AntiPhishingCode.trimmed(raw)
            var failure = ValidationFailure()
            for problem in AntiPhishingCode.problems(trimmed) { failure.add("code", problem) }
            if !failure.isEmpty { throw AccountError.invalid(failure) }
            code = trimmed
        }
        try await store.setAntiPhishingCode(
            accountId: account.id, code: code,
            event: AccountEvent(kind: .antiPhishingChanged, clientAddress: address, userAgent: userAgent, createdAt: now()))
        guard let updated = try await store.account(id: account.id) else { throw AccountError.notFound("account") }
        return updated
    }

    /// Changing the sign-in email takes the password, and the change happens only when the link
    /// mailed to the new address is opened; the old address then hears of it with a "this wasn't
    /// me" link, and withdrawals pause.
    public func requestEmailChange(_ account: Account, newEmail raw: String, password: String, userAgent: String?, address: String?) async throws {
        let email = EmailAddress.normalize(raw)
        guard EmailAddress.isPlausible(email), email != account.email else { throw AccountError.invalid("email", .invalid) }
        let ticket = try await throttler.admit(guessKeys(email: account.email, address: address))
        guard let (_, credentials) = try await store.accountCredentials(id: account.id), try await hasher.verify(password, hash: credentials.passwordHash)
        else { throw AccountError.invalidCredentials }
        await throttler.giveBack(ticket)
        let (link, key) = try await issueLink(account, purpose: .changeEmail, lifetime: settings.verifyLifetime, path: "/account/email", payload: email)
        try await store.appendAccountEvent(
            accountId: account.id,
            AccountEvent(kind: .emailChangeRequested, detail: ["to": email], clientAddress: address, userAgent: userAgent, createdAt: now()))
        try await mail(account, AccountMails.confirmNewEmail(link: link, lockHours: settings.withdrawalLockHours, locale: account.locale), key: key, to: email)
    }

    public func confirmEmailChange(token: String, userAgent: String?, address: String?) async throws {
        guard token.count <= 200, let (id, payload) = try await store.consumeAccountTokenPayload(purpose: .changeEmail, tokenHash: TokenDigest.of(token)),
            let email = payload, let old = try await store.account(id: id)
        else { throw AccountError.invalidToken }
        do {
            try await store.changeAccountEmail(
                accountId: id, email: email, lockWithdrawalsUntil: now().addingTimeInterval(settings.withdrawalLock),
                event: AccountEvent(kind: .emailChanged, detail: ["from": old.email, "to": email], clientAddress: address, userAgent: userAgent, createdAt: now()))
        } catch StoreError.conflict {
            throw AccountError.conflict("account")
        }
        // The old address is told, with the way to stop an attacker who took the account.
        let (link, key) = try await issueLink(old, purpose: .wasntMe, lifetime: settings.wasntMeLifetime, path: "/account/wasnt-me")
        try await mail(old, AccountMails.emailChanged(newEmail: email, link: link, lockHours: settings.withdrawalLockHours, locale: old.locale), key: key)
    }

    /// Turning 2FA off needs the password and a current code (or a recovery code).
    public func disableTwoFactor(_ account: Account, password: String, code: String, userAgent: String?, address: String?) async throws {
        guard account.totpEnabled, let (_, credentials) = try await store.accountCredentials(id: account.id) else {
            throw AccountError.conflict("two_factor")
        }
        let ticket = try await throttler.admit(guessKeys(email: account.email, address: address))
        guard try await hasher.verify(password, hash: credentials.passwordHash),
            try await twoFactor.check(account, credentials: credentials, code: code, address: address, userAgent: userAgent)
        else { throw AccountError.invalidCredentials }
        await throttler.giveBack(ticket)
        try await twoFactor.disable(account, credentials: credentials, address: address, userAgent: userAgent)
    }

    public func logout(token: String) async throws {
        try await store.revokeAccountSession(tokenHash: TokenDigest.of(token))
    }

    public init(store: any AccountRepository, hasher: PasswordHasher, policy: CustomerPasswordPolicy, mailer: any CustomerNotifier, throttler: any CredentialThrottle, background: BackgroundWork, dummyHash: String, settings: Settings, twoFactor: AccountTwoFactor, devices: KnownDevices, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.hasher = hasher
        self.policy = policy
        self.mailer = mailer
        self.throttler = throttler
        self.background = background
        self.dummyHash = dummyHash
        self.settings = settings
        self.twoFactor = twoFactor
        self.devices = devices
        self.now = now
    }
}
