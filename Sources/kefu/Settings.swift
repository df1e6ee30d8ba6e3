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
          KEFU_EMAIL_REOPEN_DAYS  a customer's mail reopens a resolved conversation this many days after (default 14)
          KEFU_EMAIL_RESPONSE_HOURS  the response time the acknowledgement mail promises (default 24)
          KEFU_WITHDRAWAL_LOCK_HOURS  withdrawals pause this long after a password reset, 2FA or email change (default 24)
          KEFU_2FA_RESET_WAIT_HOURS   a supervisor-approved 2FA reset applies this long after approval (default 48; decimals allowed)
          KEFU_PASSWORD_MIN_LENGTH    customers' passwords: at least this many characters (default 10, 8 to 64)
          KEFU_PASSWORD_REQUIRE       character kinds customers' passwords need: letter,digit,symbol (default all three; none for none)
          KEFU_PASSWORD_HISTORY       how many earlier passwords may not come back (default 5, 0 to 24)
          KEFU_TRUST_PROXY      true to take the client address from X-Forwarded-For (behind a reverse proxy)
          KEFU_LOG_LEVEL        trace, debug, info (default), notice, warning, error
        """

    let databaseURL: String
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
    let withdrawalLockHours: Double
    let passwordMinLength: Int
    let passwordRequire: String
    let passwordHistory: Int
    let twoFactorResetWaitHours: Double
    let logLevel: String

    init(reader: ConfigReader = ConfigReader(provider: EnvironmentVariablesProvider())) {
        databaseURL = reader.string(forKey: "kefu.database.url", default: DatabaseLocation.defaultURL)
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
        passwordMinLength = reader.int(forKey: "kefu.password.min.length", default: 10)
        passwordRequire = reader.string(forKey: "kefu.password.require", default: "letter,digit,symbol")
        passwordHistory = reader.int(forKey: "kefu.password.history", default: 5)
        withdrawalLockHours = reader.double(forKey: "kefu.withdrawal.lock.hours", default: 24)
        twoFactorResetWaitHours = reader.double(forKey: "kefu.2fa.reset.wait.hours", default: 48)
        logLevel = reader.string(forKey: "kefu.log.level", default: "info")
    }

    func databaseLocation() throws -> DatabaseLocation { try DatabaseLocation(url: databaseURL) }

    /// The secret key: from KEFU_SECRET_KEY, else from the data directory, else a new random one
    /// written there (mode 0600) so sealed secrets survive restarts.
    func secretKey() throws -> Data {
        if let secretKeyHex {
            guard let data = Data(hex: secretKeyHex), data.count == 32 else {
                throw ValidationError("KEFU_SECRET_KEY must be 64 hex characters (32 bytes)")
            }
            return data
        }
        let file = dataDirectory.appendingPathComponent("secret.key")
        if let text = try? String(contentsOf: file, encoding: .utf8), let data = Data(hex: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            data.count == 32
        {
            return data
        }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        try key.map { String(format: "%02x", $0) }.joined().write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return key
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

    func smtpListener() throws -> EmailChannel.Listener? {
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
        guard let listener = EmailChannel.Listener(smtpListen, tls: tls) else {
            throw ValidationError("KEFU_SMTP_LISTEN must be host:port, e.g. 127.0.0.1:2525")
        }
        return listener
    }

    func appConfiguration() throws -> AppConfiguration {
        guard withdrawalLockHours >= 0, twoFactorResetWaitHours >= 0, withdrawalLockHours.isFinite, twoFactorResetWaitHours.isFinite else {
            throw ValidationError("KEFU_WITHDRAWAL_LOCK_HOURS and KEFU_2FA_RESET_WAIT_HOURS must be numbers of hours, not negative")
        }
        return AppConfiguration(
            host: host, port: port, publicURL: publicURL, dataDirectory: dataDirectory, secretKey: try secretKey(),
            trustForwardedFor: trustProxy, email: try emailSettings(), smtpListener: try smtpListener(),
            withdrawalLock: withdrawalLockHours * 3600, twoFactorResetWait: twoFactorResetWaitHours * 3600,
            customerPasswordPolicy: try customerPasswordPolicy())
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

extension Data {
    init?(hex: String) {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
