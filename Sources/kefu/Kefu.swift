import ArgumentParser
import Foundation
import Hummingbird
import KefuAccounts
import KefuApp
import KefuCore
import KefuStore
import KefuWeb
import Logging
import Metrics
import Prometheus

@main
struct Kefu: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kefu",
        abstract: "Kefu (客服): self-hosted customer service for crypto wallets and exchanges.",
        discussion: Settings.help,
        subcommands: [Serve.self, Migrate.self, Demo.self, Admin.self, Audit.self, Backup.self, IngestEmail.self, RenderMarkdown.self])

    /// As ArgumentParser's, except that `ingest-email` never exits with a status an MTA reads
    /// as "bounce" for a fault that is not the mail's: a wrong pipe command line is the
    /// operator's to fix, and the mail waits in the queue meanwhile (EX_TEMPFAIL).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            let ingesting = CommandLine.arguments.dropFirst().first == IngestEmail.configuration.commandName
            if ingesting, !(error is ExitCode), exitCode(for: error) != .success {
                FileHandle.standardError.write(Data(((DatabaseFailure.describe(error) ?? fullMessage(for: error)) + "\n").utf8))
                exit(withError: ExitCode(IngestEmail.tempFail))
            }
            if let database = DatabaseFailure.describe(error) {
                FileHandle.standardError.write(Data("Error: \(database)\n".utf8))
                exit(withError: ExitCode.failure)
            }
            exit(withError: error)
        }
    }
}

/// What every command shares: settings, logging, and a migrated database for the command's body.
enum Runtime {
    static func logger(_ settings: Settings) -> Logger {
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "kefu")
    }

    static func withStore<T: Sendable>(
        _ settings: Settings, logger: Logger, migrate: Bool = true, _ body: @Sendable @escaping (SQLStore) async throws -> T
    ) async throws -> T {
        try await withDatabase(try settings.databaseLocation(), logger: logger) { database in
            if migrate { try await Migrator().migrate(database, logger: logger) }
            return try await body(SQLStore(database: database))
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Kefu: the HTTP API, the agent console and every channel.", discussion: Settings.help)

    @Flag(help: "Seed demo agents, inboxes and conversations first (once), and print how to log in.")
    var demo = false

    func run() async throws {
        let settings = Settings()
        let logger = Runtime.logger(settings)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var configured = try settings.appConfiguration()
        // Markdown is rendered by this same executable in a child process (`render-markdown`).
        configured.markdownExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let configuration = configured
        let demo = self.demo
        try await Runtime.withStore(settings, logger: logger) { store in
            if demo {
                try await DemoData(store: store, hasher: PasswordHasher(cost: configuration.passwordHashCost), secretKey: configuration.secretKey).seed()
                Demo.printCredentials(consoleURL: configuration.publicURL + "/console")
            }
            let instance = try InstanceParts.make(
                for: try settings.databaseLocation(), listenURL: settings.databaseListenURL, store: store, logger: logger)
            let app = try await buildApplication(
                configuration: configuration, store: store, hub: instance.bus, presence: instance.presence, metrics: registry,
                throttle: instance.throttle, instanceServices: instance.services, logger: logger)
            logger.info("Kefu console at \(configuration.publicURL)/console")
            try await app.runService()
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.", discussion: Settings.help)

    func run() async throws {
        let settings = Settings()
        let logger = Runtime.logger(settings)
        let applied = try await withDatabase(try settings.databaseLocation(), logger: logger) { database in
            try await Migrator().migrate(database, logger: logger)
        }
        say(applied.isEmpty ? "Database is up to date." : "Applied migrations: \(applied.map(String.init).joined(separator: ", "))")
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Seed demo agents, inboxes and a dozen bilingual conversations, and print the credentials.",
        discussion: Settings.help)

    func run() async throws {
        let settings = Settings()
        let logger = Runtime.logger(settings)
        let configuration = try settings.appConfiguration()
        let seeded = try await Runtime.withStore(settings, logger: logger) { store in
            try await DemoData(store: store, hasher: PasswordHasher(cost: 12), secretKey: configuration.secretKey).seed()
        }
        if !seeded { say("Demo data was already there; nothing changed.") }
        Self.printCredentials(consoleURL: configuration.publicURL + "/console")
    }

    static func printCredentials(consoleURL: String) {
        say("Demo console: \(consoleURL)")
        for credential in DemoData.credentials {
            say("  \(credential.role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  \(credential.email)  password: \(credential.password)")
        }
        say("Demo wallet sign-in (\(consoleURL.replacingOccurrences(of: "/console", with: "/account"))): li.wei@example.cn  password: \(DemoData.customerPassword)")
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent copy of the SQLite database while Kefu runs.",
        discussion: "For PostgreSQL, use pg_dump; this command prints how and exits with status 2.\n\n" + Settings.help)

    @Option(help: "The backup file to create; it must not exist yet.")
    var to: String

    func run() async throws {
        let settings = Settings()
        let logger = Runtime.logger(settings)
        switch try settings.databaseLocation() {
        case .postgres:
            say(
                """
                Kefu is on PostgreSQL: back it up with the server's own tools, for example
                  pg_dump --format=custom --file=\(to) "$KEFU_DATABASE_URL"
                and restore with pg_restore. Also copy KEFU_DATA_DIR (attachments, secret.key).
                """)
            throw ExitCode(2)
        case .sqlite(let path):
            guard !FileManager.default.fileExists(atPath: to) else { throw ValidationError("\(to) exists; choose a new file") }
            try await withDatabase(.sqlite(path: path), logger: logger) { database in
                guard let sqlite = database as? SQLiteStoreDatabase else { return }
                try await sqlite.backup(to: to)
            }
            say("Backed up \(path) to \(to). Also keep a copy of KEFU_DATA_DIR (attachments, secret.key).")
        }
    }
}

/// Writes a line to standard output at once (unbuffered), so credentials and results show up
/// immediately even when stdout is a pipe or a file.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
