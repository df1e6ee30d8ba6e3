import Foundation
import Hummingbird
import KefuAccounts
import KefuChannels
import KefuConversations
import KefuCore
import KefuHelp
import KefuQuality
import KefuRealtime
import KefuRisk
import KefuStore
import KefuWeb
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// The composition root: the one place that knows the concrete parts (store, bus, channels,
/// throttles, timers), builds every service once, and hands them to the web edge and to the
/// service group. `kefu serve` and the tests call `buildApplication` alike.
public struct Composition: Sendable {
    public let web: WebServices
    /// Channels' listeners and senders, timers and background work, run beside the HTTP server.
    public let background: [any Service]

    public static func build(
        configuration: AppConfiguration, store: any ApplicationStore, bus: any EventBus, presence: any PresenceTracking,
        throttle: any CredentialThrottle = LoginThrottler(), logger: Logger, onSMTPListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> Composition {
        let now: @Sendable () -> Date = { Date() }
        // What people write is rendered in a child process: Ink can crash or stall on some input.
        let markdown: any MarkdownRendering = configuration.markdownExecutable.map { IsolatedMarkdown(executable: $0) } ?? InProcessMarkdown()
        let blobs = AttachmentBlobStore(dataDirectory: configuration.dataDirectory)
        let (webhookWakeups, wakeWebhooks) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

        // Conversations and channels: channels report into the service; agents' replies go out
        // through the registry, which picks the channel of each reply's inbox.
        // The service the channels report into answers through them too (the warning to a
        // customer whose message carried a secret goes out at once): the registry is built after
        // the channels, so the channels' service reaches it through a box filled below.
        let channelsLater = LateReplyDelivery()
        let inbound = ConversationService(store: store, bus: bus, presence: presence).delivering(through: channelsLater)
        // What customers are told about when to expect an answer comes from the response targets.
        let expectations = ResponseExpectations(store: store)
        let surveyLinks = SurveyLinks(secretKey: configuration.secretKey, publicURL: configuration.publicURL)
        var emailSettings = configuration.email
        emailSettings.signature = AgentSignature(publicURL: configuration.publicURL)
        let email = EmailChannel(
            store: store, blobs: blobs, conversations: inbound, settings: emailSettings, listener: configuration.smtpListener,
            onListening: onSMTPListening, expectations: expectations, logger: logger)
        let telegram = TelegramChannel(
            store: store, blobs: blobs, conversations: inbound, secretKey: configuration.secretKey, settings: configuration.telegram,
            expectations: expectations, surveys: SurveyKeyAnswers(store: store, conversations: inbound, links: surveyLinks), logger: logger)
        let webhooks = Webhooks(
            store: store, secretKey: configuration.secretKey, allowPrivate: configuration.webhookAllowPrivate, wakeSender: { wakeWebhooks.yield() })
        let apiChannel = APIChannel(store: store, conversations: inbound, webhooks: webhooks)
        let channels = ChannelRegistry(store: store, channels: [email, WebchatChannel(mail: email.replies), telegram, apiChannel])
        channelsLater.set(channels)
        let conversations = inbound.delivering(through: channels)
        let surveys = SatisfactionSurveys(
            store: store, conversations: conversations, delivery: channels, links: surveyLinks, delay: configuration.csatDelay, logger: logger)
        try await email.ingest.prepareInbox()

        // Secrets: one bcrypt at start-up serves agents' and customers' logins alike (unknown
        // emails are checked against it, so they cost what a wrong password costs), and one
        // limiter counts every check of a secret: one budget per address.
        let hasher = PasswordHasher(cost: configuration.passwordHashCost)
        let dummyHash = try await hasher.dummyHash()
        let devices = KnownDevices(secretKey: configuration.secretKey)
        let background = BackgroundWork(logger: logger)

        let agentAuth = AgentAuthService(
            store: store, hasher: hasher, throttler: throttle, secretKey: configuration.secretKey, dummyHash: dummyHash,
            sessionLifetime: configuration.sessionLifetime, apiTokenLifetime: configuration.apiTokenLifetime)
        var customerPasswords = configuration.customerPasswordPolicy
        customerPasswords.commonPasswords = try CommonPasswords.load()
        let accounts = AccountService(
            store: store, hasher: hasher, policy: customerPasswords, mailer: email.replies, throttler: throttle, background: background,
            dummyHash: dummyHash, settings: .init(publicURL: configuration.publicURL, withdrawalLock: configuration.withdrawalLock),
            twoFactor: AccountTwoFactor(store: store, secretKey: configuration.secretKey, withdrawalLock: configuration.withdrawalLock, now: now),
            devices: devices, now: now)
        let twoFactorResets = TwoFactorResets(store: store, accounts: accounts, wait: configuration.twoFactorResetWait, logger: logger, now: now)
        let widgetIdentity = WidgetIdentity(secretKey: configuration.secretKey)

        let policies = RiskPolicySource(store: store, announce: { bus.settingChanged($0) })
        bus.whenSettingChanges { key in if key == RiskPolicySource.key { await policies.forget() } }
        let web = WebServices(
            store: store, blobs: blobs, conversations: conversations, presence: presence, throttle: throttle, readThrottle: LoginThrottler(), hasher: hasher,
            agentAuth: agentAuth, accounts: accounts, twoFactorResets: twoFactorResets, widgetIdentity: widgetIdentity, policies: policies,
            decisions: LimitDecisions(store: store, policies: policies, now: now),
            holdReviews: HoldReviews(store: store, accounts: accounts, conversations: conversations, now: now),
            widget: WidgetService(store: store, conversations: conversations, sessionLifetime: configuration.widgetSessionLifetime, now: now),
            widgetVerification: WidgetEmailVerification(store: store, mailer: email.replies, secretKey: configuration.secretKey, throttler: throttle),
            widgetSignedIn: WidgetSignedInCustomer(store: store, identity: widgetIdentity, now: now), telegram: telegram,
            webhooks: webhooks, apiChannel: apiChannel, announcements: Announcements(store: store, wake: { telegram.replies.wakeSender() }),
            helpArticles: HelpArticles(store: store, renderer: markdown), helpSearch: HelpSearch(store: store), markdown: markdown,
            officialChannels: OfficialChannels(store: store, supportAddress: configuration.email.supportAddress, publicURL: configuration.publicURL),
            serviceLevels: ServiceLevels(store: store, now: now), surveys: surveys,
            feedback: FeedbackBoard(store: store, notifier: email.replies, publicURL: configuration.publicURL, now: now))
        let timers: [any Service] = [
            background, TwoFactorResetTimer(resets: twoFactorResets, interval: configuration.timerInterval),
            // Response targets are minutes long: their timer looks every second (one indexed read when nothing is due).
            ResponseTargetTimer(conversations: conversations, interval: .seconds(1), logger: logger),
            SurveySender(surveys: surveys, interval: .seconds(1), logger: logger),
            NotificationMailer(store: store, mailer: email.replies, publicURL: configuration.publicURL, interval: configuration.timerInterval, logger: logger),
        ]
        let webhookServices: [any Service] = [
            WebhookDispatcher(store: store, wakeups: AsyncStream { _ in }, delivered: { wakeWebhooks.yield() }, logger: logger),
            WebhookSender(
                store: store, secretKey: configuration.secretKey, allowPrivate: configuration.webhookAllowPrivate, wakeups: webhookWakeups,
                logger: logger),
        ]
        return Composition(web: web, background: channels.services + timers + webhookServices)
    }
}

/// Composes Kefu's application: every service, the HTTP edge over them, and the long-running
/// parts in one service group. The caller owns the database; tests call this with a test
/// configuration.
public func buildApplication(
    configuration: AppConfiguration,
    store: any ApplicationStore,
    hub: any EventBus = EventHub(),
    presence: any PresenceTracking = PresenceRegistry(),
    metrics: PrometheusCollectorRegistry? = nil,
    catalog: RouteCatalog = RouteCatalog(),
    throttle: any CredentialThrottle = LoginThrottler(),
    instanceServices: [any Service] = [],
    logger: Logger,
    onSMTPListening: @escaping @Sendable (Int) -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let composition = try await Composition.build(
        configuration: configuration, store: store, bus: hub, presence: presence, throttle: throttle, logger: logger,
        onSMTPListening: onSMTPListening)
    return try await webApplication(
        services: composition.web, configuration: configuration, metrics: metrics, catalog: catalog,
        background: instanceServices + composition.background,
        logger: logger)
}

/// A reply delivery set once the channel registry exists (see `Composition.build`).
final class LateReplyDelivery: ReplyDelivery {
    private let target = Mutex<(any ReplyDelivery)?>(nil)

    func set(_ delivery: any ReplyDelivery) { target.withLock { $0 = delivery } }

    func deliver(_ reply: AppendResult) async throws {
        try await target.withLock { $0 }?.deliver(reply)
    }
}

