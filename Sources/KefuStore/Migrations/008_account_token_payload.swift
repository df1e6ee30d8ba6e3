import Foundation

extension Schema {
    /// What a token carries besides its account: the new address of an email change.
    @Sendable static func accountTokenPayload(_ flavor: SQLFlavor) -> [String] {
        ["ALTER TABLE account_tokens ADD COLUMN payload TEXT"]
    }
}
