import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KefuAccounts
import KefuApp
import KefuCore
import KefuRealtime
import KefuStore
import KefuTestSupport
import KefuWeb
import Logging
import NIOCore
import Testing

/// A Kefu application over a fresh, migrated database (SQLite, or PostgreSQL with
/// KEFU_TEST_BACKEND=postgres), with a cheap bcrypt cost.
struct TestApp {
    static let adminEmail = "admin@kefu.test"
    static let adminPassword = "correct horse battery"
    static let agentEmail = "agent@kefu.test"
    static let agentPassword = "another long passphrase"

    let store: SQLStore
    let catalog: RouteCatalog
    let hub: EventHub
    /// KEFU_DATA_DIR of this app (attachments live under it).
    let dataDirectory: URL
    /// The credential throttle's clock. It stands still unless a test advances it: on a loaded
    /// machine real seconds pass between a test's requests and let a 2-second delay run out.
    let throttleClock: TestClock

    /// Runs `body` with a router test client and the store behind it.
    static func run<T: Sendable>(
        apiTokenLifetime: TimeInterval = 3600, live: Bool = false, twoFactorResetWait: TimeInterval = 48 * 3600,
        trustProxy: Bool = false, customerPasswordPolicy: CustomerPasswordPolicy = CustomerPasswordPolicy(), _ body: @Sendable @escaping (any TestClientProtocol, TestApp) async throws -> T
    ) async throws -> T {
        let logger = {
            var logger = Logger(label: "kefu.webtest")
            logger.logLevel = .warning
            return logger
        }()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let location = try await TestDatabases.createMigrated(TestBackend.primary)
        return try await withDatabase(location, logger: logger, poolSize: TestDatabases.poolSize, firstConnection: TestDatabases.firstConnection) { database in
            try await Migrator().migrate(database, logger: logger)
            let store = SQLStore(database: database)
            let hasher = PasswordHasher(cost: 4)
            _ = try await AgentInvitation(store: store, hasher: hasher).invite(
                email: adminEmail, name: "Admin", role: .admin, password: adminPassword, audit: nil)
            _ = try await AgentInvitation(store: store, hasher: hasher).invite(
                email: agentEmail, name: "Agent", role: .agent, password: agentPassword, audit: nil)
            let catalog = RouteCatalog()
            let hub = EventHub()
            let configuration = AppConfiguration(
                port: 0, publicURL: "http://127.0.0.1:8080", dataDirectory: directory, secretKey: Data(repeating: 7, count: 32), passwordHashCost: 4,
                apiTokenLifetime: apiTokenLifetime, trustForwardedFor: trustProxy, twoFactorResetWait: twoFactorResetWait, timerInterval: .milliseconds(100),
                customerPasswordPolicy: customerPasswordPolicy)
            let throttleClock = TestClock(Date())
            let app = try await buildApplication(
                configuration: configuration, store: store, hub: hub, catalog: catalog, throttle: StoredThrottle(store: store, logger: logger, now: { throttleClock.now }), logger: logger)
            let testApp = TestApp(store: store, catalog: catalog, hub: hub, dataDirectory: directory, throttleClock: throttleClock)
            return try await app.test(live ? .live : .router) { client in try await body(client, testApp) }
        }
    }

    /// A wallet account at a verification tier (and verified country), for the limits tests.
    func walletAccount(_ email: String, locale: String = "en", tier: Int, country: String? = nil) async throws -> Account {
        let account = try await store.createAccount(
            email: email, passwordHash: "h", locale: locale, event: AccountEvent(kind: .registered, createdAt: Date()))
        return try await store.updateAccountVerification(
            accountId: account.id, tier: tier, country: country.map { .some($0) },
            audit: AuditEvent(actor: .system, action: "test.tier_set", subjectKind: "account"))
    }

    /// A conversation with one customer message, for tests that need something in the inbox.
    func seedConversation(text: String = "我的提现被冻结了") async throws -> Conversation {
        let inbox = try await store.createInbox(name: "Web", kind: .webchat, audit: nil)
        let contact = try await store.createContact(name: "李伟", email: "li.wei.\(UUID().uuidString.prefix(6))@example.cn", locale: "zh-CN")
        let conversation = try await store.createConversation(inboxId: inbox.id, contactId: contact.id, subject: "提现")
        _ = try await store.appendMessage(
            conversationId: conversation.id, NewMessage(direction: .incoming, author: .contact(contact.id), text: text))
        return try await store.conversation(id: conversation.id)!
    }
}

extension TestClientProtocol {
    func json(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    func login(_ email: String = TestApp.adminEmail, _ password: String = TestApp.adminPassword, otp: String? = nil) async throws -> String {
        var payload: [String: String] = ["email": email, "password": password]
        if let otp { payload["otp"] = otp }
        let body = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        let response = try await json(.post, "/api/v1/auth/login", body: body)
        guard response.status == .ok, let token = response.object["token"] as? String else {
            throw TestFailure("login failed: \(response.status) \(String(buffer: response.body))")
        }
        return token
    }
}

extension TestClientProtocol {
    /// Registers a wallet customer, signs them in and turns TOTP on: their session and secret.
    func customerWithTOTP(_ email: String, password: String, locale: String = "en") async throws -> (session: String, secret: String) {
        _ = try await json(.post, "/api/v1/accounts", body: #"{"email":"\#(email)","password":"\#(password)","locale":"\#(locale)"}"#)
        guard let session = try await json(.post, "/api/v1/accounts/sessions", body: #"{"email":"\#(email)","password":"\#(password)"}"#)
            .object["token"] as? String
        else { throw TestFailure("sign-in failed") }
        let setup = try await json(.post, "/api/v1/accounts/me/2fa/setup", token: session)
        let secret = try TOTPTestSupport.secret(fromURI: setup.object["otpauthUri"] as? String ?? "")
        let code = TOTPService().code(secret: secret, step: TOTPService.step(at: Date()))
        let confirmed = try await json(.post, "/api/v1/accounts/me/2fa/confirm", token: session, body: #"{"code":"\#(code)"}"#)
        guard confirmed.status == .ok else { throw TestFailure("2FA not confirmed: \(confirmed.status)") }
        return (session, secret)
    }
}

extension TestResponse {
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }
    var code: String? { object["code"] as? String }
    var text: String { String(buffer: body) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Waits up to five seconds for `condition` (work a request left to the background), then
/// expects it.
func waitFor(_ condition: @escaping @Sendable () async throws -> Bool) async throws {
    for _ in 0..<100 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    #expect(try await condition())
}
