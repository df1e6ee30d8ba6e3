import Foundation

extension Schema {
    /// Migration 011 indexed `messages.channel_message_id` a second time (migration 001 already
    /// had it): every message insert wrote both. One is enough for an edit's lookup.
    @Sendable static func oneChannelMessageIndex(_ flavor: SQLFlavor) -> [String] {
        ["DROP INDEX IF EXISTS messages_channel_message"]
    }
}
