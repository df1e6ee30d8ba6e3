import Foundation
import Hummingbird
import KefuChannels
import HummingbirdWebSocket
import KefuConversations
import KefuQuality
import KefuAccounts
import KefuCore
import KefuHelp
import KefuRisk
import KefuRealtime
import KefuStore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The persistence an application runs on: every repository plus a health probe.
public typealias ApplicationStore = KefuRepositories & DatabaseHealth

/// Kefu's HTTP application over services the composition root built: the router (API,
/// console, widget, health, metrics, OpenAPI) on the guarded HTTP server, with `background`
/// (channels' listeners and senders, timers) in the same service group.
public func webApplication(
    services: WebServices, configuration: AppConfiguration, metrics: PrometheusCollectorRegistry?, catalog: RouteCatalog,
    background: [any Service], logger: Logger
) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(services: services, configuration: configuration, metrics: metrics, catalog: catalog, logger: logger)
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
        services: background,
        logger: logger)
}

/// Controllers and routes over `services`; it builds no services (the composition root does).
func buildRouter(
    services: WebServices, configuration: AppConfiguration, metrics: PrometheusCollectorRegistry?, catalog: RouteCatalog, logger: Logger
) async throws -> Router<KefuRequestContext> {
    let store = services.store
    let conversations = services.conversations
    let presence = services.presence
    let auth = services.agentAuth
    let accounts = services.accounts
    let twoFactorResets = services.twoFactorResets
    let policies = services.policies
    let files = AttachmentFiles(store: store, blobs: services.blobs)
    let avatars = AvatarController(store: store, blobs: services.blobs)
    let resources = try await ConsoleResources.load()
    let limits = BodyLimits(json: configuration.maxJSONBodyBytes)

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
    AccountController(service: accounts, resets: twoFactorResets, widgetIdentity: services.widgetIdentity, limits: limits).addRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))
    let risk = RiskController(decisions: services.decisions, policies: policies, limits: limits)
    risk.addServiceRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))
    ChannelAPIController(channel: services.apiChannel, files: files, limits: limits)
        .addRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))
    AnnouncementController(announcements: services.announcements, limits: limits)
        .addPublicRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))
    let help = HelpController(articles: services.helpArticles, search: services.helpSearch, throttler: services.throttle, readThrottler: services.readThrottle,
        limits: limits)
    help.addPublicRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))
    let safety = TrustAndSafety(verification: AgentVerification(store: store), reports: ImpersonationReports(store: store, blobs: services.blobs))
    let officialChannels = OfficialChannelController(
        channels: services.officialChannels, throttler: services.throttle, readThrottler: services.readThrottle, limits: limits)
    officialChannels.addPublicRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))
    let accountCSRF = AccountCSRF(secretKey: configuration.secretKey)
    AccountPagesController(
        service: accounts, resets: twoFactorResets, authorizations: store, policies: policies, resources: resources, secureCookies: configuration.usesHTTPS,
        csrf: accountCSRF
    ).addRoutes(to: router.group("account").add(middleware: SameOriginFormGate(publicURL: configuration.publicURL)))
    let authenticated = api.group(context: AuthenticatedContext.self)
        .add(middleware: AccountSetupGate(allowedPrefixes: ["/api/v1/me", "/api/v1/auth/logout"]))
    let cataloged = CatalogedGroup(group: authenticated, prefix: "/api/v1", catalog: catalog)
    AuthController(auth: auth, limits: limits).addRoutes(to: cataloged)
    InboxController(store: store, telegram: services.telegram.bots, apiChannel: services.apiChannel, limits: limits).addRoutes(to: cataloged)
    TeamController(store: store, limits: limits).addRoutes(to: cataloged)
    CannedReplyController(store: store, limits: limits).addRoutes(to: cataloged)
    AttachmentController(files: files).addRoutes(to: cataloged)
    avatars.addRoutes(to: cataloged)
    MailController(store: store, blobs: services.blobs).addRoutes(to: cataloged)
    avatars.addPublicRoutes(to: router)
    ConversationController(store: store, conversations: conversations, limits: limits).addRoutes(to: cataloged)
    AgentAdminController(store: store, hasher: services.hasher, limits: limits).addRoutes(to: cataloged)
    risk.addAgentRoutes(to: cataloged)
    WebhookController(webhooks: services.webhooks, limits: limits).addRoutes(to: cataloged)
    let announcements = AnnouncementController(announcements: services.announcements, limits: limits)
    announcements.addRoutes(to: cataloged)
    help.addRoutes(to: cataloged)
    officialChannels.addRoutes(to: cataloged)
    ServiceLevelController(levels: services.serviceLevels, store: store, limits: limits).addRoutes(to: cataloged)
    SurveyController(surveys: services.surveys, store: store).addRoutes(to: cataloged)
    ReportController(reports: Reports(store: store)).addRoutes(to: cataloged)
    FeedbackController(board: services.feedback, store: store, limits: limits).addRoutes(to: cataloged)
    let trust = TrustAndSafetyController(safety: safety, widget: services.widget, blobs: services.blobs, throttler: services.throttle, limits: limits)
    trust.addRoutes(to: cataloged)
    trust.addPublicRoutes(to: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))

    // The public help center.
    let helpSite = HelpSiteController(
        articles: services.helpArticles, search: services.helpSearch, announcements: services.announcements, markdown: services.markdown, inboxes: store,
        throttler: services.throttle, readThrottler: services.readThrottle, resources: resources, publicURL: configuration.publicURL,
        supportAddress: configuration.email.supportAddress,
        secureCookies: configuration.usesHTTPS)
    HelpVerifyPage(channels: services.officialChannels, verification: safety.verification, reports: safety.reports, site: helpSite)
        .addRoutes(to: router, forms: router.group("help").add(middleware: SameOriginFormGate(publicURL: configuration.publicURL)))
    helpSite.addRoutes(to: router, formGate: SameOriginFormGate(publicURL: configuration.publicURL))
    FeedbackBoardPages(board: services.feedback, store: store, accounts: accounts, csrf: accountCSRF, site: helpSite)
        .addRoutes(to: router.group("help").add(middleware: SameOriginFormGate(publicURL: configuration.publicURL)))
    // The satisfaction survey's rating page.
    SurveyPageController(surveys: services.surveys, store: store, resources: resources)
        .addRoutes(to: router, formGate: SameOriginFormGate(publicURL: configuration.publicURL))

    // Telegram pushes bots' updates here when Kefu's public URL is https.
    TelegramWebhookController(telegram: services.telegram, store: store).addRoutes(to: router)

    // Live-chat widget: the loader, its frame, sessions for visitors and their WebSocket.
    let widget = WidgetController(
        service: services.widget, presence: presence, files: files, limits: limits, verification: services.widgetVerification,
        signedIn: services.widgetSignedIn, sockets: SocketQuota(perHolder: configuration.socketsPerSession),
        expectations: ResponseExpectations(store: store), surveys: services.surveys, throttler: services.throttle, resources: resources)
    widget.addPageRoutes(to: router)
    widget.addRoutes(to: api, catalog: CatalogedGroup(group: api, prefix: "/api/v1", catalog: catalog))

    // The agents' live feed: console pages connect with their session cookie (same origin only).
    let agentSockets = SocketQuota(perHolder: configuration.socketsPerSession)
    let agentFrames = AgentFrameCache()
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
            store: store, conversations: conversations, presence: presence, frames: agentFrames, agent: identity.agent,
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
        reviews: services.holdReviews, store: store, resources: resources, presence: presence
    ).addRoutes(to: signedIn)
    ConsoleCustomerAccountController(service: accounts, resets: twoFactorResets, store: store, resources: resources, presence: presence)
        .addRoutes(to: signedIn)
    ConsoleAccountController(auth: auth, store: store, hasher: services.hasher, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleOutboxController(
        store: store, blobs: services.blobs, resources: resources, presence: presence, relayConfigured: configuration.email.relay != nil
    ).addRoutes(to: signedIn)
    ConsoleWebhooksController(webhooks: services.webhooks, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleAnnouncementsController(announcements: services.announcements, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleOfficialChannelsController(channels: services.officialChannels, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleImpersonationController(safety: trust, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleNotificationsController(store: store, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleReportsController(reports: Reports(store: store), store: store, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleSurveysController(surveys: services.surveys, store: store, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleFeedbackController(board: services.feedback, store: store, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleServiceLevelsController(levels: services.serviceLevels, inboxes: store, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleHelpController(articles: services.helpArticles, search: services.helpSearch, resources: resources, presence: presence).addRoutes(to: signedIn)
    ConsoleInboxSettingsController(
        inboxes: InboxController(store: store, telegram: services.telegram.bots, apiChannel: services.apiChannel, limits: limits), resources: resources, presence: presence, publicURL: configuration.publicURL
    ).addRoutes(to: signedIn)
    return router
}
