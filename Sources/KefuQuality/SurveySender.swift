import Foundation
import Logging
import ServiceLifecycle

/// Sends the satisfaction surveys that are due: a poll over leased rows, so surveys survive
/// restarts and several instances send each once.
public struct SurveySender: Service {
    let surveys: SatisfactionSurveys
    let interval: Duration
    let owner: String
    let logger: Logger

    public init(surveys: SatisfactionSurveys, interval: Duration, owner: String = "kefu-\(UUID().uuidString.lowercased())", logger: Logger) {
        self.surveys = surveys
        self.interval = interval
        self.owner = owner
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    while try await surveys.sendDue(owner: owner) >= 50, !Task.isCancelled {}
                } catch {
                    logger.error("surveys could not be sent", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
