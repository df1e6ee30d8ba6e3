import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@Suite struct AccountStoreTests {
    func event(_ kind: AccountEvent.Kind) -> AccountEvent { AccountEvent(kind: kind, createdAt: Date()) }

    @Test(arguments: TestBackend.available)
    func anAccountIsTheContactWithItsEmailAndIsUnique(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let contact = try await store.createContact(name: "李伟", email: "li.wei@example.cn", locale: "zh-CN")
            let account = try await store.createAccount(email: "Li.Wei@Example.cn", passwordHash: "h1", locale: "zh-CN", event: event(.registered))
            #expect(account.email == "li.wei@example.cn")
            #expect(account.contactId == contact.id)
            #expect(try await store.account(contactId: contact.id)?.id == account.id)
            await #expect(throws: StoreError.conflict("an account with this email exists")) {
                try await store.createAccount(email: "li.wei@example.cn", passwordHash: "h2", locale: nil, event: event(.registered))
            }
            let fresh = try await store.createAccount(email: "new@example.cn", passwordHash: "h", locale: nil, event: event(.registered))
            #expect(fresh.contactId != nil)
            #expect(try await store.accountEvents(accountId: account.id, limit: 5).map(\.kind) == [.registered])
        }
    }

    @Test(arguments: TestBackend.available)
    func aResetTokenWorksOnceUnderFiftyParallelTries(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let account = try await store.createAccount(email: "a@example.cn", passwordHash: "h", locale: nil, event: event(.registered))
            try await store.createAccountToken(accountId: account.id, purpose: .passwordReset, tokenHash: "old", expiresAt: Date().addingTimeInterval(600))
            try await store.createAccountToken(accountId: account.id, purpose: .passwordReset, tokenHash: "t1", expiresAt: Date().addingTimeInterval(600))
            // A new request voids the older token.
            #expect(try await store.accountForToken(purpose: .passwordReset, tokenHash: "old") == nil)
            #expect(try await store.accountForToken(purpose: .verifyEmail, tokenHash: "t1") == nil)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<50 { group.addTask { try await store.consumeAccountToken(purpose: .passwordReset, tokenHash: "t1") != nil } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            try await store.createAccountToken(accountId: account.id, purpose: .passwordReset, tokenHash: "expired", expiresAt: Date().addingTimeInterval(-1))
            #expect(try await store.consumeAccountToken(purpose: .passwordReset, tokenHash: "expired") == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func aNewPasswordKeepsHistoryEndsSessionsAndLocksWithdrawals(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let account = try await store.createAccount(email: "b@example.cn", passwordHash: "h0", locale: nil, event: event(.registered))
            let session = try await store.createAccountSession(
                accountId: account.id, tokenHash: "s1", userAgent: "Firefox", clientAddress: "10.0.0.1", expiresAt: Date().addingTimeInterval(3600))
            #expect(try await store.accountSession(tokenHash: "s1")?.0.id == session.id)
            let until = Date().addingTimeInterval(86400)
            try await store.setAccountPassword(accountId: account.id, passwordHash: "h1", revokeSessions: true, lockWithdrawalsUntil: until, event: event(.passwordChanged))
            #expect(try await store.accountSession(tokenHash: "s1") == nil)
            #expect(try await store.passwordHistory(accountId: account.id, limit: 5) == ["h1", "h0"])
            let locked = try #require(try await store.account(id: account.id)?.withdrawalsLockedUntil)
            #expect(abs(locked.timeIntervalSince(until)) < 0.01)
            // A later, shorter lock never shortens the first.
            try await store.setAccountPassword(
                accountId: account.id, passwordHash: "h2", revokeSessions: false, lockWithdrawalsUntil: Date().addingTimeInterval(60), event: event(.passwordChanged))
            #expect(try await store.account(id: account.id)?.withdrawalsLockedUntil == locked)
            #expect(try await store.passwordHistory(accountId: account.id, limit: 5) == ["h2", "h1", "h0"])
        }
    }
}
