import Foundation
import KefuConversations
import Logging
import ServiceLifecycle

/// Fires due response-target warnings and breaches (`LeasedWorkLoop`).
public struct ResponseTargetTimer: Service {
    let loop: LeasedWorkLoop

    public init(conversations: ConversationService, interval: Duration, owner: String = "kefu-\(UUID().uuidString.lowercased())", logger: Logger) {
        loop = LeasedWorkLoop(interval: interval, batch: 50, what: "firing response targets", logger: logger) {
            try await conversations.fireDueResponseTargets(owner: owner, now: Date()).count
        }
    }

    public func run() async throws { await loop.run() }
}
