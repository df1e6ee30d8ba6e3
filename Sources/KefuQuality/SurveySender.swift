import Foundation
import Logging
import ServiceLifecycle

/// Sends the satisfaction surveys that are due (`LeasedWorkLoop`).
public struct SurveySender: Service {
    let loop: LeasedWorkLoop

    public init(surveys: SatisfactionSurveys, interval: Duration, owner: String = "kefu-\(UUID().uuidString.lowercased())", logger: Logger) {
        loop = LeasedWorkLoop(interval: interval, batch: 50, what: "sending surveys", logger: logger) {
            try await surveys.sendDue(owner: owner)
        }
    }

    public func run() async throws { await loop.run() }
}
