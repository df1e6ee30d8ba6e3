import Foundation
import KefuStore
import Logging
import ServiceLifecycle

/// A poll over leased rows (due timers, due surveys): each round takes what is due and this
/// instance can lease; a full batch means more may be due, so the next round starts at once.
/// Rows are the work, so it survives restarts, and several instances can run it side by side.
struct LeasedWorkLoop: Sendable {
    let interval: Duration
    let batch: Int
    let what: String
    let logger: Logger
    let round: @Sendable () async throws -> Int

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    while try await round() >= batch, !Task.isCancelled {}
                } catch {
                    logger.error("\(what) failed", metadata: ["error": "\(DatabaseFailure.logged(error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
