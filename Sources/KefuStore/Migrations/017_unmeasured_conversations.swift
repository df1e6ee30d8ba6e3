import Foundation

extension Schema {
    /// Conversations from before response targets existed carry a mark of their own, so that a
    /// later label or priority change does not start measuring them from their creation (and
    /// miss every target at once); migration 016 gave them the same mark as "no policy matched".
    @Sendable static func unmeasuredConversations(_ flavor: SQLFlavor) -> [String] {
        [
            """
            UPDATE conversations SET sla_policy_id = 'unmeasured'
            WHERE sla_policy_id = '' AND created_at < COALESCE((SELECT applied_at FROM kefu_migrations WHERE version = 16), 0)
            """
        ]
    }
}
