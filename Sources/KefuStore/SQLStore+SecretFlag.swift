import Foundation
import KefuCore
import SQLKit

/// The flag on a conversation whose customer exposed a secret (docs/trust-and-safety.md).
extension SQLStore {
    public func markSecretExposed(conversationId: ConversationID, at: Date) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                UPDATE conversations SET secret_exposed_at = \(bind: Clock.millis(at))
                WHERE id = \(bind: conversationId.rawValue) AND secret_exposed_at IS NULL
                """
            ).run()
        }
    }
}
