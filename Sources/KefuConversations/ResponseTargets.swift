import Foundation
import KefuCore
import KefuStore

extension ConversationService {
    /// Fires what is due on the conversations this instance can lease: warnings and breaches,
    /// with their actions (a reassignment goes to the next agent online with room) and console
    /// notifications, each once across instances; the history lines they wrote are published.
    @discardableResult
    public func fireDueResponseTargets(owner: String, now: Date, lease: TimeInterval = 30, limit: Int = 50) async throws -> [SLAFiring] {
        let claimed = try await store.claimDueSLATimers(now: now, owner: owner, lease: lease, limit: limit)
        guard !claimed.isEmpty else { return [] }
        let assign = (try? await assignmentChoice()) ?? nil
        var fired: [SLAFiring] = []
        for id in claimed {
            guard let firing = try await store.fireSLATimers(conversationId: id, owner: owner, now: now, assign: assign) else { continue }
            for message in firing.history { publishStored(message, of: firing.conversation) }
            fired.append(firing)
        }
        return fired
    }
}
