import Foundation
import Hummingbird
import KefuChannels
import HummingbirdWebSocket
import KefuConversations
import KefuAccounts
import KefuCore
import KefuRisk
import KefuRealtime
import KefuStore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The persistence an application runs on: every repository plus a health probe.
public typealias ApplicationStore = KefuRepositories & DatabaseHealth

/// Composes Kefu's HTTP application: API, console, health, metrics and OpenAPI.
/// The caller owns the database; tests call this with a test configuration.
public func buildApplication(
    configuration: AppConfiguration,
    store: any ApplicationStore,
    hub: any EventBus = EventHub(),
    presence: any PresenceTracking = PresenceRegistry(),
    metrics: PrometheusCollectorRegistry? = nil,
    catalog: RouteCatalog = RouteCatalog(),
    logger: Logger,
    onSMTPListening: @escaping @Sendable (Int) -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let blobs = AttachmentBlobStore(dataDirectory: configuration.dataDirectory)
    // Channels report into the conversations service; agents' replies go out through them.
    let inbound = ConversationService(store: store, bus: hub, presence: presence)
    let email = EmailChannel(
        store: store, blobs: blobs, conversations: inbound, settings: configuration.email, listener: configuration.smtpListener,
        onListening: onSMTPListening, logger: logger)
    let channels = ChannelRegistry(store: store, channels: [email, WebchatChannel(mail: email.replies)])
    let conversations = inbound.delivering(through: channels)
    try await email.ingest.prepareInbox()
    let (router, timers) = try await buildRouter(
        configuration: configuration, store: store, conversations: conversations, presence: presence, metrics: metrics, catalog: catalog,
        email: email, blobs: blobs, logger: logger)
    var limits = configuration.connections
    if configuration.trustForwardedFor { limits.maxConnectionsPerAddress = nil }
    // One address never holds more than a quarter of the process's connections, whatever the
    // setting says (a small descriptor limit once let one address take them all).
    limits.maxConnectionsPerAddress = limits.maxConnectionsPerAddress.map { min($0, max(1, limits.maxConnections / 4)) }
    let gate = ConnectionGate(limits: .init(maxTotal: limits.maxConnections, maxPerAddress: limits.maxConnectionsPerAddress))
    return Application(
        router: router,
        server: .guardedHTTP1WebSocket(webSocketRouter: router, gate: gate, limits: limits),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Kefu", backlog: 1024),
        services: channels.services + timers,
        logger: logger)
}

func buildRouter(
    configuration: AppConfiguration, store: any ApplicationStore, conversations: ConversationService, presence: any PresenceTracking,
    metrics: PrometheusCollectorRegistry?, catalog: RouteCatalog, email: EmailChannel, blobs: AttachmentBlobStore, logger: Logger
) async throws -> (Router<KefuRequestContext>, timers: [any Service]) {
    let files = AttachmentFiles(store: store, blobs: blobs)
    let avatars = AvatarController(store: store, blobs: blobs)
    let hasher = PasswordHasher(cost: configuration.passwordHashCost)
    // One bcrypt at start-up serves agents' and customers' logins alike (unknown emails are
    // checked against it, so they cost what a wrong password costs).
    let dummyHash = try await hasher.dummyHash()
    // One limiter for every check of a secret, agents' and customers': one budget per address.
    let guesses = LoginThrottler()
    let devices = KnownDevices(secretKey: configuration.secretKey)
    let auth = AgentAuthService(
        store: store, hasher: hasher, throttler: guesses, secretKey: configuration.secretKey,
        dummyHash: dummyHash, sessionLifetime: configuration.sessionLifetime,
        apiTokenLifetime: configuration.apiTokenLifetime)
    let resources = try await ConsoleResources.load()
    let limits = BodyLimits(json: configuration.maxJSONBodyBytes)
    let background = BackgroundWork(logger: logger)

    let router = Router(context: KefuRequestContext.self)
    router.add(middleware: ClientAddressMiddleware(trustForwardedFor: configuration.trustForwardedFor))
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: WebSocketRefusalMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware(catalog: catalog))
    router.add(middleware: TransferCodingGate())

    router.get("/") { _, _ in redirect("/console") }
    router.get("/healthz") { _, _ -> Response in
        let healthy = await store.ping()
        let body = #"{"status":"\#(healthy ? "ok" : "unavailable")"}"#
        return Response(
            status: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
    router.get("/metrics") { _, _ -> Response in
        let text = metrics?.emitToString() ?? ""
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    router.get("/openapi.yaml") { _, _ -> Response in
        var response = try resources.staticResponse("openapi.yaml")
        response.headers[.contentType] = "application/yaml; charset=utf-8"
        return response
    }
    router.get("/favicon.ico") { _, _ in try resources.staticResponse("favicon.svg") }
    router.get("/static/{name}") { _, context in try resources.staticResponse(context.parameters.get("name") ?? "") }

    // JSON API.
    let api = router.group("api/v1").add(middleware: AgentAuthMiddleware(auth: auth, services: store, checkCSRFHeader: true))
    AuthController(auth: auth, limits: limits).addPublicRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))
    // Wallet customers' accounts (their own tokens; public routes as far as agents go).
    var customerPasswords = configuration.customerPasswordPolicy
    customerPasswords.commonPasswords = try CommonPasswords.load()
    let accounts = AccountService(
        store: store, hasher: hasher, policy: customerPasswords, mailer: email.replies,
        throttler: guesses, background: background, dummyHash: dummyHash,
        settings: .init(publicURL: configuration.publicURL, withdrawalLock: configuration.withdrawalLock),
        twoFactor: AccountTwoFactor(store: store, secretKey: configuration.secretKey, withdrawalLock: configuration.withdrawalLock, now: { Date() }),
        devices: devices, now: { Date() })
    let widgetIdentity = WidgetIdentity(secretKey: configuration.secretKey)
    let twoFactorResets = TwoFactorResets(store: store, accounts: accounts, wait: configuration.twoFactorResetWait, logger: logger, now: { Date() })
    AccountController(service: accounts, resets: twoFactorResets, widgetIdentity: widgetIdentity, limits: limits).addRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))
    let policies = RiskPolicySource(store: store)
    let risk = RiskController(decisions: LimitDecisions(store: store, policies: policies), policies: policies, limits: limits)
    risk.addServiceRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))
    AccountPagesController(
        service: accounts, resets: twoFactorResets, authorizations: store, policies: policies, resources: resources, secureCookies: configuration.usesHTTPS,
        csrf: AccountCSRF(secretKey: configuration.secretKey)
    ).addRoutes(to: router.group("account").add(middleware: SameOriginFormGate(publicURL: configuration.publicURL)))
    let authenticated = api.group(context: AuthenticatedContext.self)
        .add(middleware: AccountSetupGate(allowedPrefixes: ["/api/v1/me", "/api/v1/auth/logout"]))
    let cataloged = CatalogedGroup(group: authenticated, prefix: "/api/v1", catalog: catalog)
    AuthController(auth: auth, limits: limits).addRoutes(to: cataloged)
    InboxController(store: store, limits: limits).addRoutes(to: cataloged)
    TeamController(store: store, limits: limits).addRoutes(to: cataloged)
    CannedReplyController(store: store, limits: limits).addRoutes(to: cataloged)
    AttachmentController(files: files).addRoutes(to: cataloged)
    avatars.addRoutes(to: cataloged)
    MailController(store: store, blobs: blobs).addRoutes(to: cataloged)
    avatars.addPublicRoutes(to: router)
    ConversationController(store: store, conversations: conversations, limits: limits).addRoutes(to: cataloged)
    AgentAdminController(store: store, hasher: hasher, limits: limits).addRoutes(to: cataloged)
    risk.addAgentRoutes(to: cataloged)

    // Live-chat widget: the loader, its frame, sessions for visitors and their WebSocket.
    let widget = WidgetController(
        service: WidgetService(
            store: store, conversations: conversations, sessionLifetime: configuration.widgetSessionLifetime, now: { Date() }),
        presence: presence, files: files, limits: limits,
        verification: WidgetEmailVerification(store: store, mailer: email.replies, secretKey: configuration.secretKey, throttler: guesses),
        signedIn: WidgetSignedInCustomer(store: store, identity: widgetIdentity, now: { Date() }),
        sockets: SocketQuota(perHolder: configuration.socketsPerSession), throttler: guesses, resources: resources)
    widget.addPageRoutes(to: router)
    widget.addRoutes(to: api, catalog: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))

    // The agents' live feed: console pages connect with their session cookie (same origin only).
    let agentSockets = SocketQuota(perHolder: configuration.socketsPerSession)
    let agentFeed = api.group("agent").add(middleware: SameOriginWebSocketGate(publicURL: configuration.publicURL))
    agentFeed.ws("ws") { _, context in
        guard let identity = context.identity else { throw APIError.unauthenticated }
        // The live feed carries every conversation: like the rest of the API, not before the
        // agent has replaced a one-time password and enrolled the 2FA an admin requires.
        if identity.agent.mustChangePassword { throw APIError.passwordChangeRequired }
        if identity.mustEnrollTwoFactor { throw APIError.twoFactorEnrollmentRequired }
        try agentSockets.checkHandshake(identity.sessionId)
        return .upgrade([:])
    } onUpgrade: { inbound, outbound, context in
        guard let identity = context.requestContext.identity else { return }
        let query = QueryReader(request: context.request)
        let socket = AgentSocket(
            store: store, conversations: conversations, presence: presence, agent: identity.agent,
            conversationId: try query.id("conversationId", as: ConversationID.self), since: try query.int("since") ?? 0)
        try await agentSockets.serve(identity.sessionId, closing: outbound) { try await socket.run(inbound: inbound, outbound: outbound) }
    }

    // Agent console.
    let console = router.group("console")
        .add(middleware: SameOriginFormGate(publicURL: configuration.publicURL))
        .add(middleware: AgentAuthMiddleware(auth: auth, services: store, checkCSRFHeader: false))
    let consoleAuth = ConsoleAuthController(
        auth: auth, resources: resources, secureCookies: configuration.usesHTTPS, sessionLifetime: configuration.sessionLifetime)
    consoleAuth.addPublicRoutes(to: console)
    let signedIn = console.group().add(middleware: ConsoleSignInGate()).group(context: AuthenticatedContext.self)
    consoleAuth.addRoutes(to: signedIn)
    ConsoleInboxController(store: store, conversations: conversations, resources: resources, presence: presence, policies: policies).addRoutes(to: signedIn)
    ConsoleRiskPolicyController(policies: policies, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleHoldsController(
        reviews: HoldReviews(store: store, accounts: accounts, conversations: conversations, now: { Date() }), store: store, resources: resources, presence: presence
    ).addRoutes(to: signedIn)
    ConsoleCustomerAccountController(service: accounts, resets: twoFactorResets, store: store, resources: resources, presence: presence)
        .addRoutes(to: signedIn)
    ConsoleAccountController(auth: auth, store: store, hasher: hasher, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleOutboxController(
        store: store, blobs: blobs, resources: resources, presence: presence, relayConfigured: configuration.email.relay != nil
    ).addRoutes(to: signedIn)
    ConsoleInboxSettingsController(
        inboxes: InboxController(store: store, limits: limits), resources: resources, presence: presence, publicURL: configuration.publicURL
    ).addRoutes(to: signedIn)
    return (router, [background, TwoFactorResetTimer(resets: twoFactorResets, interval: configuration.timerInterval)])
}
