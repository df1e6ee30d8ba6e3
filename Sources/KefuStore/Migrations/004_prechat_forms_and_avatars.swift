import Foundation

extension Schema {
    /// Per-inbox pre-chat forms (JSON; NULL asks the standard form) and agents' pictures.
    @Sendable static func prechatFormsAndAvatars(_ flavor: SQLFlavor) -> [String] {
        [
            "ALTER TABLE inboxes ADD COLUMN prechat_form TEXT",
            "ALTER TABLE agents ADD COLUMN avatar_sha256 TEXT",
            "ALTER TABLE agents ADD COLUMN avatar_type TEXT",
        ]
    }
}
