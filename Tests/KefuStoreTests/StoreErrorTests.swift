import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import SQLKit
import Testing

@Suite struct StoreErrorTests {
    /// A row this version cannot read (a status written by a newer version, or by hand) is its
    /// own error: the row is there, so "not found" or "conflict" would mislead whoever handles it.
    @Test(arguments: TestBackend.available)
    func aRowThatCannotBeReadIsUndecodableNotMissing(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let account = try await store.createAccount(
                email: "li@example.cn", passwordHash: "h", locale: nil, event: AccountEvent(kind: .registered, createdAt: Date()))
            let request = AuthorizationRequest(kind: .transfer, value: try USD.parse("10"), destination: nil, country: nil)
            let now = Date()
            let (authorization, _) = try await store.authorize(
                accountId: account.id, NewAuthorization(idempotencyKey: "k", requestHash: "h", request: request, asset: "USDT", amount: "10"),
                now: now, decide: { AuthorizationRules.decide(request, activity: $0, policy: .standard, now: now) })
            // Kind, outcome and status columns take any text; a newer version may write one this one does not know.
            try await store.database.write { sql in
                try await sql.raw("UPDATE authorizations SET status = 'archived' WHERE id = \(bind: authorization.id)").run()
            }
            await #expect(throws: StoreError.undecodable("unknown status value archived")) {
                try await store.authorization(id: authorization.id)
            }
            // A missing one is still simply absent.
            #expect(try await store.authorization(id: "none") == nil)
        }
    }
}
