import Crypto
import Foundation
import KefuCore
import KefuStore
import Logging

/// Where a session was started: an API client gets a bearer token, the console a cookie + CSRF token.
public enum SessionKind: String, Sendable {
    case api
    case console
}

public struct LoginSuccess: Sendable {
    public var token: String
    public var identity: AgentIdentity
    public var expiresAt: Date
    /// This device's proof of a successful sign-in (`KnownDevices`).
    public var deviceToken: String
}

/// Agent login, sessions and two-factor checks, in one place for the API and the console.
public struct AgentAuthService: Sendable {
    public typealias Repositories = AgentRepository & SessionRepository & SettingsRepository & AuditRepository

    public let store: any Repositories
    public let hasher: PasswordHasher
    public let throttler: any CredentialThrottle
    public let totp: TOTPService
    public let totpBox: SecretBox
    public let pendingKey: Data
    public let devices: KnownDevices
    public let dummyHash: String
    public let sessionLifetime: TimeInterval
    public let apiTokenLifetime: TimeInterval
    public let now: @Sendable () -> Date

    public static let requireTwoFactorSetting = "security.require_agent_2fa"

    public init(
        store: any Repositories, hasher: PasswordHasher, throttler: any CredentialThrottle, secretKey: Data, dummyHash: String,
        sessionLifetime: TimeInterval, apiTokenLifetime: TimeInterval, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.hasher = hasher
        self.throttler = throttler
        self.totp = TOTPService()
        self.totpBox = SecretBox(secretKey: secretKey, purpose: "totp")
        self.pendingKey = SecretBox.derive(secretKey: secretKey, purpose: "pending-2fa")
        self.devices = KnownDevices(secretKey: secretKey)
        self.dummyHash = dummyHash
        self.sessionLifetime = sessionLifetime
        self.apiTokenLifetime = apiTokenLifetime
        self.now = now
    }

    public static func throttleAccount(_ email: String) -> String { "account:\(EmailAddress.normalize(email))" }

    /// A device that signed in as this agent before (with the password as it is now, `stamp`)
    /// is counted on its own (`KnownDevices`).
    private func throttleKeys(email: String, address: String?, device: String?, stamp: String?) -> [(String, ThrottlePolicy)] {
        devices.guessKeys(account: Self.throttleAccount(email), address: address, device: device, stamp: stamp)
    }

    /// Checks email and password. Unknown emails cost the same bcrypt time and get the same
    /// answer as wrong passwords, so the response never tells whether an account exists. The
    /// attempt is counted before the slow check, so parallel guesses are admitted one by one.
    public func checkPassword(email: String, password: String, address: String?, device: String? = nil) async throws -> (Agent, AgentCredentials) {
        let store = self.store
        let (ticket, _, found) = try await devices.admitGuess(
            at: Self.throttleAccount(email), address: address, device: device, throttle: throttler,
            lookup: { try await store.credentials(email: email) }, stamp: { $0.1.passwordHash })
        let matches = try await hasher.verify(password, hash: found?.1.passwordHash ?? dummyHash)
        guard let found, matches, found.0.status == .active else { throw AccountError.invalidCredentials }
        await throttler.giveBack(ticket)
        return found
    }

    /// Verifies a TOTP code for an enrolled agent and burns its time step.
    public func checkOTP(agent: Agent, credentials: AgentCredentials, code: String, address: String?, device: String? = nil) async throws {
        let ticket = try await throttler.admit(
            throttleKeys(email: agent.email, address: address, device: device, stamp: credentials.passwordHash))
        guard let sealed = credentials.sealedTOTPSecret, let secret = try? totpBox.open(sealed),
            let step = totp.matchingStep(secret: secret, code: code, now: now()),
            try await store.claimTOTPStep(id: agent.id, step: step)
        else { throw AccountError.invalidOTP }
        await throttler.giveBack(ticket)
    }

    /// The whole login: password, then the second factor when enrolled, then a new session.
    public func login(
        email: String, password: String, otp: String?, device: String? = nil, kind: SessionKind, userAgent: String?, address: String?
    ) async throws -> LoginSuccess {
        let (agent, credentials) = try await checkPassword(email: email, password: password, address: address, device: device)
        if agent.totpEnabled {
            guard let otp, !otp.isEmpty else { throw AccountError.otpRequired }
            try await checkOTP(agent: agent, credentials: credentials, code: otp, address: address, device: device)
        }
        return try await startSession(
            agent: agent, credentials: credentials, kind: kind, device: device, userAgent: userAgent, address: address)
    }

    /// A new session after both factors passed; the device's own attempts (or, for a device
    /// not yet known, the account's) start again from nothing.
    public func startSession(
        agent: Agent, credentials: AgentCredentials, kind: SessionKind, device: String? = nil, userAgent: String?, address: String?
    ) async throws -> LoginSuccess {
        await throttler.reset(throttleKeys(email: agent.email, address: address, device: device, stamp: credentials.passwordHash)[0].0)
        let token = RandomToken.make()
        let csrf = kind == .console ? RandomToken.make() : nil
        let expiresAt = now().addingTimeInterval(kind == .console ? sessionLifetime : apiTokenLifetime)
        let sessionId = try await store.createSession(
            agentId: agent.id, tokenHash: TokenDigest.of(token), kind: kind.rawValue, csrfToken: csrf, userAgent: userAgent,
            clientAddress: address, expiresAt: expiresAt)
        try await store.appendAudit(
            AuditEvent(
                actor: .agent(agent.id), action: "agent.login", subjectKind: "agent", subjectId: agent.id.rawValue,
                detail: ["kind": kind.rawValue], clientAddress: address))
        let identity = AgentIdentity(
            agent: agent, sessionId: sessionId, csrfToken: csrf, mustEnrollTwoFactor: try await mustEnroll(agent))
        return LoginSuccess(
            token: token, identity: identity, expiresAt: expiresAt,
            deviceToken: devices.token(account: Self.throttleAccount(agent.email), stamp: credentials.passwordHash, current: device))
    }

    public func requiresTwoFactor() async throws -> Bool {
        try await store.setting(Self.requireTwoFactorSetting) == "true"
    }

    public func mustEnroll(_ agent: Agent) async throws -> Bool {
        !agent.totpEnabled ? try await requiresTwoFactor() : false
    }

    /// The identity behind a bearer token or session cookie, if it is live.
    public func identity(token: String) async throws -> AgentIdentity? {
        guard token.count <= 200,
            let session = try await store.session(tokenHash: TokenDigest.of(token), now: now())
        else { return nil }
        return AgentIdentity(
            agent: session.agent, sessionId: session.id, csrfToken: session.csrfToken,
            mustEnrollTwoFactor: try await mustEnroll(session.agent))
    }

    public func logout(token: String, agent: Agent, address: String?) async throws {
        try await store.revokeSession(tokenHash: TokenDigest.of(token))
        try await store.appendAudit(
            AuditEvent(actor: .agent(agent.id), action: "agent.logout", subjectKind: "agent", subjectId: agent.id.rawValue, clientAddress: address))
    }

    // MARK: - The console's two-step login

    /// A short-lived signed ticket saying "this agent passed the password check", kept in a
    /// cookie between the password page and the code page, so the password is never re-posted.
    public func pendingTicket(for agent: Agent) -> String {
        let expires = Int64(now().addingTimeInterval(300).timeIntervalSince1970)
        let payload = "\(agent.id.rawValue).\(expires)"
        return payload + "." + signature(payload)
    }

    public func agentForPendingTicket(_ ticket: String) async throws -> (Agent, AgentCredentials)? {
        let parts = ticket.split(separator: ".")
        guard parts.count == 3, let expires = Int64(parts[1]), Double(expires) > now().timeIntervalSince1970,
            constantTimeEquals(signature("\(parts[0]).\(parts[1])"), String(parts[2])),
            let id = AgentID(validating: String(parts[0])),
            let found = try await store.credentials(id: id), found.0.status == .active
        else { return nil }
        return found
    }

    private func signature(_ payload: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: SymmetricKey(data: pendingKey))
        return Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    // MARK: - Password

    /// Replaces the agent's password after checking the current one (throttled like a login)
    /// and the policy; ends every other session of the agent.
    public func changePassword(identity: AgentIdentity, current: String, new: String, address: String?) async throws {
        let agent = identity.agent
        var failure = ValidationFailure()
        for violation in AgentPasswordPolicy().violations(password: new, email: agent.email) {
            failure.add("newPassword", .rule(violation.rawValue))
        }
        if new == current { failure.add("newPassword", .rule(AgentPasswordPolicy.Violation.sameAsCurrent.rawValue)) }
        do {
            _ = try await checkPassword(email: agent.email, password: current, address: address)
        } catch AccountError.invalidCredentials {
            failure.add("currentPassword", .invalid)
        }
        if !failure.isEmpty { throw AccountError.invalid(failure) }
        try await store.setPassword(
            id: agent.id, passwordHash: try await hasher.hash(new),
            audit: AuditEvent(actor: .agent(agent.id), action: "agent.password.changed", subjectKind: "agent", subjectId: agent.id.rawValue, clientAddress: address))
        try await store.revokeOtherSessions(agentId: agent.id, keeping: identity.sessionId)
    }

    // MARK: - Enrolment

    public struct Enrollment: Sendable, Encodable {
        public var secret: String
        public var otpauthUri: String
        public var qrSvg: String
    }

    /// Starts (or restarts) enrolment: a new secret, stored sealed, not yet enabled.
    public func beginEnrollment(agent: Agent, address: String?) async throws -> Enrollment {
        guard !agent.totpEnabled else { throw AccountError.conflict("two_factor") }
        let secret = totp.newSecret()
        try await store.setTOTP(id: agent.id, sealedSecret: try totpBox.seal(secret), enabled: false, audit: nil)
        let uri = totp.provisioningURI(secret: secret, account: agent.email)
        let svg = try QRCode(text: uri).svg()
        return Enrollment(secret: totp.manualEntryKey(secret: secret, account: agent.email), otpauthUri: uri, qrSvg: svg)
    }

    /// Confirms enrolment with a first code from the app.
    public func confirmEnrollment(agent: Agent, code: String, address: String?) async throws {
        guard !agent.totpEnabled, let (current, credentials) = try await store.credentials(id: agent.id),
            credentials.sealedTOTPSecret != nil
        else { throw AccountError.conflict("two_factor") }
        try await checkOTP(agent: current, credentials: credentials, code: code, address: address)
        try await store.setTOTP(
            id: agent.id, sealedSecret: credentials.sealedTOTPSecret, enabled: true,
            audit: AuditEvent(actor: .agent(agent.id), action: "agent.2fa.enabled", subjectKind: "agent", subjectId: agent.id.rawValue, clientAddress: address))
        // The confirming code's step was claimed before setTOTP reset it; claim it again so the
        // same code cannot also log in.
        if let secret = try? totpBox.open(credentials.sealedTOTPSecret!),
            let step = totp.matchingStep(secret: secret, code: code, now: now())
        {
            _ = try await store.claimTOTPStep(id: agent.id, step: step)
        }
    }

    /// Turns 2FA off: needs the password and a current code, and is refused while admins require it.
    public func disableTwoFactor(agent: Agent, password: String, code: String, address: String?) async throws {
        guard agent.totpEnabled else { throw AccountError.conflict("two_factor") }
        if try await requiresTwoFactor() { throw AccountError.forbidden }
        let (current, credentials) = try await checkPassword(email: agent.email, password: password, address: address)
        try await checkOTP(agent: current, credentials: credentials, code: code, address: address)
        try await store.setTOTP(
            id: agent.id, sealedSecret: nil, enabled: false,
            audit: AuditEvent(actor: .agent(agent.id), action: "agent.2fa.disabled", subjectKind: "agent", subjectId: agent.id.rawValue, clientAddress: address))
    }
}

extension SecretBox {
    public static func derive(secretKey: Data, purpose: String) -> Data {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secretKey), info: Data("kefu:\(purpose)".utf8), outputByteCount: 32
        ).withUnsafeBytes { Data($0) }
    }
}
