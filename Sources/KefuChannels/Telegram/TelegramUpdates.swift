import Foundation
import KefuCore
import KefuStore
import Logging
import ServiceLifecycle

/// Brings each bot's updates in: by webhook when Kefu's public URL is https (Telegram is told
/// where, with the bot's secret), otherwise by long polling `getUpdates` from the stored offset.
/// Bots added while Kefu runs are picked up within `refreshInterval`. Which way a bot's updates
/// arrive is stored, and a change from the last run is logged.
public struct TelegramUpdates: Service {
    public typealias Repositories = TelegramBotRepository

    let store: any Repositories
    let bots: TelegramBots
    let ingest: TelegramIngest
    let logger: Logger

    /// An update that fails this often is skipped (logged), so one bad update cannot stop a bot.
    static let maxFailuresPerUpdate = 5

    public init(store: any Repositories, bots: TelegramBots, ingest: TelegramIngest, logger: Logger) {
        self.store = store
        self.bots = bots
        self.ingest = ingest
        self.logger = logger
    }

    public func run() async throws {
        // Long polls are cancelled at shutdown rather than waited out.
        try await cancelWhenGracefulShutdown { await runBots() }
    }

    func runBots() async {
        await withDiscardingTaskGroup { group in
            var started: Set<InboxID> = []
            while !Task.isCancelled {
                do {
                    for bot in try await store.telegramBots() where !started.contains(bot.inboxId) {
                        started.insert(bot.inboxId)
                        group.addTask { await run(bot) }
                    }
                } catch {
                    logger.error("could not list the Telegram bots", metadata: ["error": "\(DatabaseFailure.logged(error))"])
                }
                try? await Task.sleep(for: bots.settings.refreshInterval)
            }
            group.cancelAll()
        }
    }

    /// One bot: set up its webhook, or poll until Kefu stops.
    func run(_ bot: TelegramBotRecord) async {
        let mode = bots.settings.usesWebhook ? "webhook" : "polling"
        await untilDone(bot, "set up Telegram updates") {
            let api = try bots.api(for: bot)
            if mode == "webhook" {
                try await api.setWebhook(
                    url: bots.settings.webhookURL(inbox: bot.inboxId.rawValue), secret: try bots.webhookSecret(for: bot),
                    allowed: TelegramSettings.allowedUpdates)
            } else {
                try await api.deleteWebhook()
            }
            let before = try await store.setTelegramMode(inboxId: bot.inboxId, mode: mode)
            if before != mode {
                logger.notice(
                    "Telegram updates now arrive by \(mode)", metadata: ["bot": "@\(bot.username)", "before": "\(before ?? "nothing")"])
            }
        }
        if mode == "polling" { await poll(bot) }
    }

    /// Long polling from the stored offset. The offset moves past an update only once what it
    /// became is stored, so a crash re-reads it and the receipt keeps it from counting twice.
    func poll(_ bot: TelegramBotRecord) async {
        var offset = bot.updateOffset
        var failures: [Int64: Int] = [:]
        var pause: Duration = .seconds(1)
        while !Task.isCancelled {
            do {
                let api = try bots.api(for: bot)
                let asked = ContinuousClock.now
                let updates = try await api.getUpdates(offset: offset, wait: bots.settings.pollWait, allowed: TelegramSettings.allowedUpdates)
                // A server that answers at once with nothing new must not be asked again at once.
                if !updates.contains(where: { $0.updateId >= offset }), ContinuousClock.now - asked < .seconds(1) {
                    try await Task.sleep(for: .seconds(1))
                }
                for received in updates.sorted(by: { $0.updateId < $1.updateId }) where received.updateId >= offset {
                    let update = received
                    do {
                        if let readable = received.update {
                            try await ingest.handle(readable, bot: bot, api: api)
                        } else {
                            logger.warning("an unreadable Telegram update was skipped", metadata: ["bot": "@\(bot.username)", "update": "\(received.updateId)"])
                        }
                    } catch is CancellationError {
                        return
                    } catch {
                        failures[update.updateId, default: 0] += 1
                        guard failures[update.updateId, default: 0] >= Self.maxFailuresPerUpdate else { throw error }
                        logger.error("a Telegram update was skipped", metadata: ["bot": "@\(bot.username)", "update": "\(update.updateId)", "error": "\(DatabaseFailure.logged(error))"])
                    }
                    failures[update.updateId] = nil
                    // The largest id there is cannot be passed; it is the last this bot reads.
                    let (next, overflow) = update.updateId.addingReportingOverflow(1)
                    offset = overflow ? update.updateId : next
                    try await store.advanceTelegramOffset(inboxId: bot.inboxId, to: offset)
                }
                pause = .seconds(1)
            } catch is CancellationError {
                return
            } catch {
                logger.warning("Telegram polling failed; trying again", metadata: ["bot": "@\(bot.username)", "error": "\(DatabaseFailure.logged(error))"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(60))
            }
        }
    }

    /// Repeats `work` with growing pauses until it succeeds or Kefu stops.
    func untilDone(_ bot: TelegramBotRecord, _ what: String, _ work: () async throws -> Void) async {
        var pause: Duration = .seconds(1)
        while !Task.isCancelled {
            do {
                try await work()
                return
            } catch {
                logger.warning("could not \(what); trying again", metadata: ["bot": "@\(bot.username)", "error": "\(DatabaseFailure.logged(error))"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(60))
            }
        }
    }
}
