import Foundation

extension Schema {
    /// A `channel` service token may be bound to one API inbox (`kefu admin token --inbox`).
    @Sendable static func serviceTokenInbox(_ flavor: SQLFlavor) -> [String] {
        ["ALTER TABLE service_tokens ADD COLUMN inbox_id TEXT REFERENCES inboxes(id) ON DELETE CASCADE"]
    }
}
