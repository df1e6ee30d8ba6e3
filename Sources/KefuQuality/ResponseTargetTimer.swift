import Foundation
import KefuConversations
import Logging
import ServiceLifecycle

/// Fires due response-target warnings and breaches. A poll over leased rows, not a sleep per
/// conversation: it survives restarts, and several instances can run it at once.
public struct ResponseTargetTimer: Service {
    let conversations: ConversationService
    let interval: Duration
    let owner: String
    let logger: Logger

    public init(conversations: ConversationService, interval: Duration, owner: String = "kefu-\(UUID().uuidString.lowercased())", logger: Logger) {
        self.conversations = conversations
        self.interval = interval
        self.owner = owner
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    // A full batch means more may be due: go again at once.
                    while try await conversations.fireDueResponseTargets(owner: owner, now: Date()).count >= 50, !Task.isCancelled {}
                } catch {
                    logger.error("response targets could not be fired", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
