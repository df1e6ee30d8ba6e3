import Configuration
import Crypto
import Foundation
import KefuChannels
import KefuCore
import KefuMail
import KefuStore
import NIOSSL
import KefuWeb

/// Kefu's settings, read from environment variables (`KEFU_DATABASE_URL` …) by swift-configuration.
struct Settings {
    static let help = """
        Settings (environment variables):
          KEFU_DATABASE_URL     sqlite://PATH (default sqlite://./kefu-data/kefu.sqlite) or postgres://user:pass@host:port/db
          KEFU_DATABASE_LISTEN_URL  PostgreSQL only: where this instance's one listening connection goes (LISTEN for the other
                                instances' notices), when KEFU_DATABASE_URL goes through a transaction pooler (default: the same)
          KEFU_HTTP_HOST        address to listen on (default 127.0.0.1)
          KEFU_HTTP_PORT        port to listen on (default 8080)
          KEFU_PUBLIC_URL       the URL people use to reach Kefu (default http://HOST:PORT); https:// makes cookies Secure
          KEFU_DATA_DIR         attachments, the generated secret key, SQLite files (default ./kefu-data)
          KEFU_SECRET_KEY       64 hex characters; generated into KEFU_DATA_DIR/secret.key when absent
          KEFU_SMTP_LISTEN      inbound SMTP listener, e.g. 127.0.0.1:2525 (off by default; `kefu ingest-email` always works)
          KEFU_SMTP_TLS_CERT    PEM certificate chain: the listener offers STARTTLS with it (with KEFU_SMTP_TLS_KEY)
          KEFU_SMTP_TLS_KEY     PEM private key for KEFU_SMTP_TLS_CERT
          KEFU_SMTP_RELAY       outbound relay, smtp://user:pass@host:port, smtp+starttls://… or smtps://…;
                                unset: outgoing mail stays in the local outbox (Admin → Outbox in the console)
          KEFU_SUPPORT_ADDRESS  the official support address (default support@localhost)
          KEFU_SUPPORT_NAME     the name mail is sent under (default "Kefu Support 客服")
          KEFU_SMTP_MAX_SIZE    largest mail accepted, in bytes (default 26214400)
          KEFU_EMAIL_REOPEN_DAYS  a customer's mail (or Telegram message) reopens a resolved conversation this many days
                                after (default 14)
          KEFU_EMAIL_RESPONSE_HOURS  the response time the acknowledgement mail promises (default 24)
          KEFU_TELEGRAM_API_URL the Telegram Bot API server (default https://api.telegram.org); Telegram inboxes get
                                updates by webhook when KEFU_PUBLIC_URL is https, by long polling otherwise
          KEFU_WEBHOOK_ALLOW_PRIVATE  true lets webhooks go to loopback, private and link-local addresses (for tests;
                                refused by default)
          KEFU_CSAT_DELAY_SECONDS     the satisfaction survey goes this long after a resolution, if still resolved
                                (default 60; 0 sends at once)
          KEFU_WITHDRAWAL_LOCK_HOURS  withdrawals pause this long after a password reset, 2FA or email change (default 24)
          KEFU_2FA_RESET_WAIT_HOURS   a supervisor-approved 2FA reset applies this long after approval (default 48; decimals allowed)
          KEFU_PASSWORD_MIN_LENGTH    customers' passwords: at least this many characters (default 10, 8 to 64)
          KEFU_PASSWORD_REQUIRE       character kinds customers' passwords need: letter,digit,symbol (default all three; none for none)
          KEFU_PASSWORD_HISTORY       how many earlier passwords may not come back (default 5, 0 to 24)
          KEFU_TRUST_PROXY      true to take the client address from X-Forwarded-For (behind a reverse proxy)
          KEFU_HTTP_MAX_CONNECTIONS   open HTTP connections at most (default: the descriptor limit less 256, less SMTP's share)
          KEFU_HTTP_MAX_CONNECTIONS_PER_ADDRESS  open HTTP connections from one client address (default 256; not applied
                                with KEFU_TRUST_PROXY, where the proxy limits its clients)
          KEFU_HTTP_IDLE_TIMEOUT      seconds a connection with no request in progress stays open (default 60)
          KEFU_HTTP_REQUEST_TIMEOUT   seconds a request may stall before it is answered 408 and closed (default 30)
          KEFU_SMTP_MAX_CONNECTIONS   open SMTP connections at most (default a tenth of the descriptor budget, at most 1000)
          KEFU_SMTP_MAX_CONNECTIONS_PER_ADDRESS  open SMTP connections from one client address (default 20)
          KEFU_LOG_LEVEL        trace, debug, info (default), notice, warning, error
        """

    let databaseURL: String
    let databaseListenURL: String?
    let host: String
    let port: Int
    let publicURL: String?
    let dataDirectory: URL
    let secretKeyHex: String?
    let smtpListen: String?
    let smtpRelay: String?
    let supportAddress: String
    let supportName: String
    let smtpTLSCertificate: String?
    let smtpTLSKey: String?
    let smtpMaxSize: Int
    let reopenDays: Int
    let responseHours: Int
    let trustProxy: Bool
    let telegramAPI: String
    let webhookAllowPrivate: Bool
    let withdrawalLockHours: Double
    let passwordMinLength: Int
    let passwordRequire: String
    let passwordHistory: Int
    let twoFactorResetWaitHours: Double
    let csatDelaySeconds: Int
    let logLevel: String
    let httpMaxConnections: Int?
    let httpMaxConnectionsPerAddress: Int
    let httpIdleTimeout: Double
    let httpRequestTimeout: Double
    let smtpMaxConnections: Int?
    let smtpMaxConnectionsPerAddress: Int

    init(reader: ConfigReader = ConfigReader(provider: EnvironmentVariablesProvider())) {
        databaseURL = reader.string(forKey: "kefu.database.url", default: DatabaseLocation.defaultURL)
        databaseListenURL = reader.string(forKey: "kefu.database.listen.url")
        host = reader.string(forKey: "kefu.http.host", default: "127.0.0.1")
        port = reader.int(forKey: "kefu.http.port", default: 8080)
        publicURL = reader.string(forKey: "kefu.public.url")
        dataDirectory = URL(fileURLWithPath: reader.string(forKey: "kefu.data.dir", default: "./kefu-data"), isDirectory: true)
        secretKeyHex = reader.string(forKey: "kefu.secret.key")
        smtpListen = reader.string(forKey: "kefu.smtp.listen")
        smtpRelay = reader.string(forKey: "kefu.smtp.relay")
        supportAddress = reader.string(forKey: "kefu.support.address", default: "support@localhost")
        supportName = reader.string(forKey: "kefu.support.name", default: "Kefu Support 客服")
        smtpTLSCertificate = reader.string(forKey: "kefu.smtp.tls.cert")
        smtpTLSKey = reader.string(forKey: "kefu.smtp.tls.key")
        smtpMaxSize = reader.int(forKey: "kefu.smtp.max.size", default: 25 << 20)
        reopenDays = reader.int(forKey: "kefu.email.reopen.days", default: 14)
        responseHours = reader.int(forKey: "kefu.email.response.hours", default: 24)
        trustProxy = reader.bool(forKey: "kefu.trust.proxy", default: false)
        telegramAPI = reader.string(forKey: "kefu.telegram.api.url", default: TelegramSettings.officialAPI)
        webhookAllowPrivate = reader.bool(forKey: "kefu.webhook.allow.private", default: false)
        passwordMinLength = reader.int(forKey: "kefu.password.min.length", default: 10)
        passwordRequire = reader.string(forKey: "kefu.password.require", default: "letter,digit,symbol")
        passwordHistory = reader.int(forKey: "kefu.password.history", default: 5)
        withdrawalLockHours = reader.double(forKey: "kefu.withdrawal.lock.hours", default: 24)
        twoFactorResetWaitHours = reader.double(forKey: "kefu.2fa.reset.wait.hours", default: 48)
        csatDelaySeconds = reader.int(forKey: "kefu.csat.delay.seconds", default: 60)
        logLevel = reader.string(forKey: "kefu.log.level", default: "info")
        httpMaxConnections = reader.int(forKey: "kefu.http.max.connections")
        httpMaxConnectionsPerAddress = reader.int(forKey: "kefu.http.max.connections.per.address", default: 256)
        httpIdleTimeout = reader.double(forKey: "kefu.http.idle.timeout", default: 60)
        httpRequestTimeout = reader.double(forKey: "kefu.http.request.timeout", default: 30)
        smtpMaxConnections = reader.int(forKey: "kefu.smtp.max.connections")
        smtpMaxConnectionsPerAddress = reader.int(forKey: "kefu.smtp.max.connections.per.address", default: 20)
    }

    func databaseLocation() throws -> DatabaseLocation { try DatabaseLocation(url: databaseURL) }

    static let wholeNumbers = [
        "KEFU_HTTP_PORT", "KEFU_SMTP_MAX_SIZE", "KEFU_EMAIL_REOPEN_DAYS", "KEFU_EMAIL_RESPONSE_HOURS", "KEFU_PASSWORD_MIN_LENGTH",
        "KEFU_PASSWORD_HISTORY", "KEFU_HTTP_MAX_CONNECTIONS", "KEFU_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "KEFU_SMTP_MAX_CONNECTIONS",
        "KEFU_SMTP_MAX_CONNECTIONS_PER_ADDRESS", "KEFU_CSAT_DELAY_SECONDS",
    ]
    static let numbers = ["KEFU_WITHDRAWAL_LOCK_HOURS", "KEFU_2FA_RESET_WAIT_HOURS", "KEFU_HTTP_IDLE_TIMEOUT", "KEFU_HTTP_REQUEST_TIMEOUT"]
    static let switches = ["KEFU_TRUST_PROXY", "KEFU_WEBHOOK_ALLOW_PRIVATE"]

    /// A value that is set but does not read as its kind is an error, never its default in
    /// silence (`KEFU_HTTP_PORT=abc` used to serve on 8080).
    static func checkValues(_ given: [String: String] = ProcessInfo.processInfo.environment) throws {
        let environment = given.filter { !$0.value.trimmingCharacters(in: .whitespaces).isEmpty }  // empty: not set
        var wrong: [String] = []
        for name in wholeNumbers { if let value = environment[name], Int(value.trimmingCharacters(in: .whitespaces)) == nil { wrong.append("\(name)=\(value) (a whole number)") } }
        for name in numbers { if let value = environment[name], Double(value.trimmingCharacters(in: .whitespaces)) == nil { wrong.append("\(name)=\(value) (a number)") } }
        for name in switches {
            if let value = environment[name], !["true", "false", "1", "0", "yes", "no"].contains(value.trimmingCharacters(in: .whitespaces).lowercased()) {
                wrong.append("\(name)=\(value) (true or false)")
            }
        }
        guard wrong.isEmpty else { throw ValidationError("settings that cannot be read: " + wrong.joined(separator: ", ")) }
    }

    /// The secret key: from KEFU_SECRET_KEY, else from the data directory, else a new random one
    /// created there (mode 0600, create-exclusive) so sealed secrets survive restarts. A key file
    /// that is there but unreadable or malformed stops the command: it is never replaced.
    func secretKey() throws -> Data {
        if let secretKeyHex {
            guard let data = SecretKeyFile.key(hex: secretKeyHex) else {
                throw ValidationError("KEFU_SECRET_KEY must be 64 hex characters (32 bytes)")
            }
            return data
        }
        do {
            return try SecretKeyFile(dataDirectory: dataDirectory).loadOrCreate()
        } catch {
            throw ValidationError(error.description)
        }
    }

    func emailSettings() throws -> EmailSettings {
        // local@domain; a dotless domain (the default support@localhost) is fine for a test box.
        let parts = supportAddress.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !supportAddress.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" })
        else { throw ValidationError("KEFU_SUPPORT_ADDRESS must be an email address, e.g. support@example.com") }
        var relay: SMTPRelay?
        if let smtpRelay, !smtpRelay.isEmpty {
            guard let parsed = SMTPRelay(url: smtpRelay) else {
                throw ValidationError("KEFU_SMTP_RELAY must look like smtp://user:pass@host:port, smtp+starttls://… or smtps://…")
            }
            relay = parsed
        }
        guard smtpMaxSize > 0, reopenDays >= 0, responseHours > 0 else {
            throw ValidationError("KEFU_SMTP_MAX_SIZE and KEFU_EMAIL_RESPONSE_HOURS must be positive, KEFU_EMAIL_REOPEN_DAYS not negative")
        }
        return EmailSettings(
            supportAddress: supportAddress, supportName: supportName, relay: relay, reopenWindow: TimeInterval(reopenDays) * 86400,
            responseHours: responseHours, maxMessageSize: smtpMaxSize)
    }

    /// SMTP's connection cap within `budget` (0 without a listener).
    func smtpConnections(_ budget: DescriptorBudget) -> Int {
        smtpListen?.isEmpty == false ? (smtpMaxConnections ?? budget.defaultSMTP) : 0
    }

    func smtpListener(_ budget: DescriptorBudget) throws -> EmailChannel.Listener? {
        guard let smtpListen, !smtpListen.isEmpty else { return nil }
        var tls: NIOSSLContext?
        switch (smtpTLSCertificate, smtpTLSKey) {
        case (let cert?, let key?):
            do {
                tls = try NIOSSLContext(
                    configuration: .makeServerConfiguration(
                        certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))))
            } catch {
                throw ValidationError("KEFU_SMTP_TLS_CERT/KEFU_SMTP_TLS_KEY could not be loaded: \(error)")
            }
        case (nil, nil): break
        default: throw ValidationError("set both KEFU_SMTP_TLS_CERT and KEFU_SMTP_TLS_KEY, or neither")
        }
        guard var listener = EmailChannel.Listener(smtpListen, tls: tls) else {
            throw ValidationError("KEFU_SMTP_LISTEN must be host:port, e.g. 127.0.0.1:2525")
        }
        listener.connectionLimits = .init(maxTotal: smtpConnections(budget), maxPerAddress: smtpMaxConnectionsPerAddress)
        return listener
    }

    func appConfiguration() throws -> AppConfiguration {
        try Self.checkValues()
        guard withdrawalLockHours >= 0, twoFactorResetWaitHours >= 0, withdrawalLockHours.isFinite, twoFactorResetWaitHours.isFinite else {
            throw ValidationError("KEFU_WITHDRAWAL_LOCK_HOURS and KEFU_2FA_RESET_WAIT_HOURS must be numbers of hours, not negative")
        }
        let budget = DescriptorBudget.raised()
        guard let telegram = URL(string: telegramAPI), ["http", "https"].contains(telegram.scheme?.lowercased() ?? ""), telegram.host != nil
        else { throw ValidationError("KEFU_TELEGRAM_API_URL must be an http(s) URL, e.g. https://api.telegram.org") }
        var configuration = AppConfiguration(
            host: host, port: port, publicURL: publicURL, dataDirectory: dataDirectory, secretKey: try secretKey(),
            trustForwardedFor: trustProxy, email: try emailSettings(), smtpListener: try smtpListener(budget),
            withdrawalLock: withdrawalLockHours * 3600, twoFactorResetWait: twoFactorResetWaitHours * 3600,
            customerPasswordPolicy: try customerPasswordPolicy(), connections: try connectionLimits(budget))
        guard (0...30 * 86_400).contains(csatDelaySeconds) else { throw ValidationError("KEFU_CSAT_DELAY_SECONDS must be 0 to 2592000 seconds") }
        configuration.csatDelay = TimeInterval(csatDelaySeconds)
        configuration.telegramAPI = telegramAPI
        configuration.webhookAllowPrivate = webhookAllowPrivate
        return configuration
    }

    /// The HTTP caps and timeouts; together with SMTP's cap they must fit the descriptor budget.
    func connectionLimits(_ budget: DescriptorBudget) throws -> HTTPConnectionLimits {
        guard budget.forConnections >= 16 else {
            throw ValidationError(
                "the descriptor limit (\(budget.limit)) is too low: Kefu keeps \(DescriptorBudget.reserve) for files and the database "
                    + "and needs more for connections; raise it (ulimit -n, LimitNOFILE=)")
        }
        let smtp = smtpConnections(budget)
        let http = httpMaxConnections ?? (budget.forConnections - smtp)
        guard http >= 1, smtp >= 0, httpMaxConnectionsPerAddress >= 1, smtpMaxConnectionsPerAddress >= 1 else {
            throw ValidationError("KEFU_HTTP_MAX_CONNECTIONS, KEFU_SMTP_MAX_CONNECTIONS and their _PER_ADDRESS caps must be at least 1")
        }
        guard http + smtp <= budget.forConnections else {
            throw ValidationError(
                "KEFU_HTTP_MAX_CONNECTIONS (\(http)) and KEFU_SMTP_MAX_CONNECTIONS (\(smtp)) exceed what the descriptor limit "
                    + "(\(budget.limit), less \(DescriptorBudget.reserve) kept for files and the database) allows: "
                    + "lower them or raise the limit (ulimit -n, LimitNOFILE=)")
        }
        guard httpIdleTimeout > 0, httpRequestTimeout > 0, httpIdleTimeout.isFinite, httpRequestTimeout.isFinite else {
            throw ValidationError("KEFU_HTTP_IDLE_TIMEOUT and KEFU_HTTP_REQUEST_TIMEOUT must be positive numbers of seconds")
        }
        return HTTPConnectionLimits(
            maxConnections: http, maxConnectionsPerAddress: httpMaxConnectionsPerAddress,
            idleTimeout: .milliseconds(Int64(httpIdleTimeout * 1000)), requestTimeout: .milliseconds(Int64(httpRequestTimeout * 1000)))
    }

    func customerPasswordPolicy() throws -> CustomerPasswordPolicy {
        let kinds = Set(passwordRequire.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "none" })
        guard kinds.isSubset(of: ["letter", "digit", "symbol"]) else {
            throw ValidationError("KEFU_PASSWORD_REQUIRE is a list of letter, digit, symbol (or none), e.g. letter,digit")
        }
        guard (8...64).contains(passwordMinLength), (0...24).contains(passwordHistory) else {
            throw ValidationError("KEFU_PASSWORD_MIN_LENGTH must be 8 to 64 and KEFU_PASSWORD_HISTORY 0 to 24")
        }
        return CustomerPasswordPolicy(
            minLength: passwordMinLength, requireLetter: kinds.contains("letter"), requireDigit: kinds.contains("digit"),
            requireSymbol: kinds.contains("symbol"), historyDepth: passwordHistory)
    }
}

struct ValidationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
