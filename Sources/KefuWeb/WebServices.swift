import Foundation
import KefuAccounts
import KefuChannels
import KefuConversations
import KefuCore
import KefuHelp
import KefuQuality
import KefuRealtime
import KefuRisk
import KefuStore

/// Everything the web edge calls, built by the composition root and handed to `buildRouter`,
/// which builds controllers and routes from it and no services of its own.
public struct WebServices: Sendable {
    public var store: any ApplicationStore
    public var blobs: any BlobStore
    public var conversations: ConversationService
    public var presence: any PresenceTracking
    /// Every check of a secret (agents' and customers') and every per-client limit: shared by
    /// every instance on the database.
    public var throttle: any CredentialThrottle
    /// Reading the help center per client address: in this process, since it protects this
    /// process's work and a database write per page read would cost more than the read.
    public var readThrottle: any CredentialThrottle
    public var hasher: PasswordHasher
    public var agentAuth: AgentAuthService
    public var accounts: AccountService
    public var twoFactorResets: TwoFactorResets
    public var widgetIdentity: WidgetIdentity
    public var policies: RiskPolicySource
    public var decisions: LimitDecisions
    public var holdReviews: HoldReviews
    public var widget: WidgetService
    public var widgetVerification: WidgetEmailVerification
    public var widgetSignedIn: WidgetSignedInCustomer
    /// The Telegram channel: adding bots, and the webhook's updates.
    public var telegram: TelegramChannel
    /// Admins' webhook subscriptions.
    public var webhooks: Webhooks
    /// The API channel (the wallet's own app, through its backend).
    public var apiChannel: APIChannel
    /// Announcements from the official accounts.
    public var announcements: Announcements
    /// The help center: articles and their search.
    public var helpArticles: HelpArticles
    public var helpSearch: HelpSearch
    public var officialChannels: OfficialChannels
    /// Renders announcements for the help center and editors' previews.
    public var markdown: any MarkdownRendering
    /// Response-target policies and business calendars.
    public var serviceLevels: ServiceLevels
    /// Satisfaction surveys: answers, sending by hand, follow-ups.
    public var surveys: SatisfactionSurveys
    /// The community feedback board.
    public var feedback: FeedbackBoard

    public init(
        store: any ApplicationStore, blobs: any BlobStore, conversations: ConversationService, presence: any PresenceTracking,
        throttle: any CredentialThrottle, readThrottle: any CredentialThrottle, hasher: PasswordHasher, agentAuth: AgentAuthService, accounts: AccountService,
        twoFactorResets: TwoFactorResets, widgetIdentity: WidgetIdentity, policies: RiskPolicySource, decisions: LimitDecisions,
        holdReviews: HoldReviews, widget: WidgetService, widgetVerification: WidgetEmailVerification, widgetSignedIn: WidgetSignedInCustomer,
        telegram: TelegramChannel, webhooks: Webhooks, apiChannel: APIChannel, announcements: Announcements,
        helpArticles: HelpArticles, helpSearch: HelpSearch, markdown: any MarkdownRendering, officialChannels: OfficialChannels,
        serviceLevels: ServiceLevels, surveys: SatisfactionSurveys, feedback: FeedbackBoard
    ) {
        self.feedback = feedback
        self.surveys = surveys
        self.serviceLevels = serviceLevels
        self.markdown = markdown
        self.officialChannels = officialChannels
        self.helpArticles = helpArticles
        self.helpSearch = helpSearch
        self.announcements = announcements
        self.apiChannel = apiChannel
        self.telegram = telegram
        self.webhooks = webhooks
        self.store = store
        self.blobs = blobs
        self.conversations = conversations
        self.presence = presence
        self.throttle = throttle
        self.readThrottle = readThrottle
        self.hasher = hasher
        self.agentAuth = agentAuth
        self.accounts = accounts
        self.twoFactorResets = twoFactorResets
        self.widgetIdentity = widgetIdentity
        self.policies = policies
        self.decisions = decisions
        self.holdReviews = holdReviews
        self.widget = widget
        self.widgetVerification = widgetVerification
        self.widgetSignedIn = widgetSignedIn
    }
}
