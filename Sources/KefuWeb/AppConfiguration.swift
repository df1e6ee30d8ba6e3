import Foundation
import KefuChannels
import KefuCore

/// Everything `buildApplication` needs to know about its environment, already parsed.
/// The executable reads it from the environment (see `kefu serve --help`); tests build it directly.
public struct AppConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The address customers and agents use, for links in mail and the `Secure` cookie flag.
    public var publicURL: String
    public var dataDirectory: URL
    /// 32 bytes; seals TOTP secrets.
    public var secretKey: Data
    /// bcrypt cost; 12 in production, lower only in tests.
    public var passwordHashCost: UInt8
    public var sessionLifetime: TimeInterval
    public var apiTokenLifetime: TimeInterval
    /// A chat widget session stays valid this long after its last use.
    public var widgetSessionLifetime: TimeInterval
    /// Chat sockets one session (a visitor's, an agent's) may keep open at once: a few tabs.
    public var socketsPerSession = 8
    public var maxJSONBodyBytes: Int
    /// Trust `X-Forwarded-For` from a reverse proxy for the client address (off by default).
    public var trustForwardedFor: Bool
    /// The support address, relay and the rest of the email channel.
    public var email: EmailSettings
    /// The inbound SMTP listener (KEFU_SMTP_LISTEN); nil: mail arrives only by `kefu ingest-email`.
    public var smtpListener: EmailChannel.Listener?
    /// The Bot API server Telegram inboxes call (`KEFU_TELEGRAM_API_URL`).
    public var telegramAPI: String = TelegramSettings.officialAPI
    /// Webhooks may go to loopback and private addresses (`KEFU_WEBHOOK_ALLOW_PRIVATE`; tests).
    public var webhookAllowPrivate = false
    /// The `kefu` executable that renders Markdown in a child process (`kefu serve` sets it to
    /// itself); nil renders in this process, which only tests and benchmarks do.
    public var markdownExecutable: URL?
    /// Withdrawals pause this long after a security change (password reset, 2FA, email).
    public var withdrawalLock: TimeInterval
    /// A supervisor-approved 2FA reset applies this long after the approval.
    public var twoFactorResetWait: TimeInterval
    /// Customers' password rules (the common-password list is added at start-up).
    public var customerPasswordPolicy: CustomerPasswordPolicy
    /// How often timers (due 2FA resets) are checked.
    public var timerInterval: Duration
    /// How long after a resolution the satisfaction survey goes (`KEFU_CSAT_DELAY_SECONDS`).
    public var csatDelay: TimeInterval = 60
    /// Caps and timeouts for HTTP connections.
    public var connections: HTTPConnectionLimits

    public init(
        host: String = "127.0.0.1", port: Int = 8080, publicURL: String? = nil, dataDirectory: URL, secretKey: Data,
        passwordHashCost: UInt8 = 12, sessionLifetime: TimeInterval = 12 * 3600, apiTokenLifetime: TimeInterval = 30 * 24 * 3600,
        widgetSessionLifetime: TimeInterval = 30 * 24 * 3600, maxJSONBodyBytes: Int = 1 << 20, trustForwardedFor: Bool = false,
        email: EmailSettings = EmailSettings(supportAddress: "support@localhost"), smtpListener: EmailChannel.Listener? = nil,
        withdrawalLock: TimeInterval = 24 * 3600, twoFactorResetWait: TimeInterval = 48 * 3600, timerInterval: Duration = .seconds(5),
        customerPasswordPolicy: CustomerPasswordPolicy = CustomerPasswordPolicy(), connections: HTTPConnectionLimits = HTTPConnectionLimits()
    ) {
        self.host = host
        self.port = port
        self.publicURL = publicURL ?? "http://\(host):\(port)"
        self.dataDirectory = dataDirectory
        self.secretKey = secretKey
        self.passwordHashCost = passwordHashCost
        self.sessionLifetime = sessionLifetime
        self.apiTokenLifetime = apiTokenLifetime
        self.widgetSessionLifetime = widgetSessionLifetime
        self.maxJSONBodyBytes = maxJSONBodyBytes
        self.trustForwardedFor = trustForwardedFor
        self.email = email
        self.smtpListener = smtpListener
        self.withdrawalLock = withdrawalLock
        self.twoFactorResetWait = twoFactorResetWait
        self.timerInterval = timerInterval
        self.customerPasswordPolicy = customerPasswordPolicy
        self.connections = connections
    }

    var usesHTTPS: Bool { publicURL.lowercased().hasPrefix("https://") }

    /// The Telegram channel's settings: updates by webhook when the public URL is https; a
    /// resolved chat reopens within the same window as mail.
    public var telegram: TelegramSettings {
        TelegramSettings(apiBase: telegramAPI, publicURL: publicURL, reopenWindow: email.reopenWindow)
    }
}
