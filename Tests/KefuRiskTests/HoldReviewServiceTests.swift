import Foundation
import KefuAccounts
import KefuConversations
import KefuCore
import KefuRealtime
import KefuRisk
import KefuStore
import KefuTestSupport
import Logging
import Synchronization
import Testing

/// Hold reviews on their own: a real store, the conversations service on an in-process bus, a
/// notifier that records mail. No router.
@Suite struct HoldReviewServiceTests {
    struct Desk {
        let store: SQLStore
        let reviews: HoldReviews
        let notifier: RecordingNotifier
        let first: Agent
        let second: Agent
    }

    static func withDesk<T: Sendable>(_ backend: TestBackend, _ body: @Sendable (Desk) async throws -> T) async throws -> T {
        try await withTestStore(backend) { store in
            let notifier = RecordingNotifier()
            let accounts = try await TestAccounts.service(store: store, notifier: notifier)
            let conversations = ConversationService(store: store, bus: EventHub(), presence: PresenceRegistry())
            let reviews = HoldReviews(store: store, accounts: accounts, conversations: conversations, now: { Date() })
            let first = try await store.createAgent(email: "mei@kefu.test", name: "Mei", role: .supervisor, passwordHash: "x", mustChangePassword: false, audit: nil)
            let second = try await store.createAgent(email: "tao@kefu.test", name: "Tao", role: .supervisor, passwordHash: "x", mustChangePassword: false, audit: nil)
            return try await body(Desk(store: store, reviews: reviews, notifier: notifier, first: first, second: second))
        }
    }

    /// A withdrawal held because the account's security settings changed a moment ago.
    static func heldWithdrawal(_ store: SQLStore, usd: String, email: String) async throws -> (Account, Authorization) {
        let account = try await store.createAccount(email: email, passwordHash: "h", locale: "en", event: AccountEvent(kind: .registered, createdAt: Date()))
        _ = try await store.updateAccountVerification(
            accountId: account.id, tier: 2, country: nil, audit: AuditEvent(actor: .system, action: "test", subjectKind: "account"))
        try await store.lockWithdrawals(accountId: account.id, until: Date().addingTimeInterval(3600), event: AccountEvent(kind: .passwordChanged, createdAt: Date()))
        let request = AuthorizationRequest(kind: .withdrawal, value: try USD.parse(usd), destination: "TXyz", country: nil)
        let now = Date()
        let (held, _) = try await store.authorize(
            accountId: account.id, NewAuthorization(idempotencyKey: "w-\(usd)", requestHash: "h-\(usd)", request: request, asset: "USDT", amount: usd),
            now: now, decide: { AuthorizationRules.decide(request, activity: $0, policy: .standard, now: now) })
        return (try #require(try await store.account(id: account.id)), held)
    }

    @Test(arguments: TestBackend.available)
    func aLargeReleaseTakesTwoPeopleAndTheCustomerIsToldOnce(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let (account, held) = try await Self.heldWithdrawal(desk.store, usd: "5000", email: "sarah@example.com")
            #expect(held.status == .held)
            try await desk.reviews.setTwoPersonFrom("1000", by: desk.first, address: nil)
            guard case .awaitingSecondApproval = try await desk.reviews.review(id: held.id, by: desk.first, release: true, note: "Called her back.", address: nil)
            else { Issue.record("a large release went through on one approval"); return }
            #expect(try await desk.reviews.review(id: held.id, by: desk.first, release: true, note: "Again, by me.", address: nil) == .sameApprover)
            #expect(desk.notifier.sent.isEmpty)
            guard case .released(let released) = try await desk.reviews.review(id: held.id, by: desk.second, release: true, note: "Checked too.", address: nil)
            else { Issue.record("the second approval did not release it"); return }
            #expect(released.status == .released)
            // The release's audit line names both people.
            let release = try #require(try await desk.store.auditEntries(before: nil, limit: 10).first { $0.action == "authorization.hold_release" })
            #expect(release.actor.id == desk.second.id.rawValue)
            #expect(release.detail["first_approver"] == desk.first.id.rawValue)
            // No open conversation: the customer hears it by mail, in their language.
            #expect(desk.notifier.sent.map(\.to) == [account.email])
            #expect(desk.notifier.sent.first?.subject == "Your withdrawal was approved")
            #expect(try await desk.reviews.review(id: held.id, by: desk.second, release: false, note: "Too late now.", address: nil) == .notHeld)
        }
    }

    @Test(arguments: TestBackend.available)
    func aRejectionNeedsANoteAndReachesAnOpenConversationInsteadOfMail(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let (account, held) = try await Self.heldWithdrawal(desk.store, usd: "300", email: "li.wei@example.cn")
            await #expect(throws: RiskError.invalid(ValidationFailure("note", .tooShort(min: 3)))) {
                try await desk.reviews.review(id: held.id, by: desk.first, release: false, note: " x ", address: nil)
            }
            let contact = try #require(account.contactId)
            let inbox = try await desk.store.createInbox(name: "Web", kind: .webchat, audit: nil)
            let conversation = try await desk.store.createConversation(inboxId: inbox.id, contactId: contact, subject: nil)
            guard case .rejected = try await desk.reviews.review(id: held.id, by: desk.first, release: false, note: "Destination flagged.", address: nil)
            else { Issue.record("not rejected"); return }
            let messages = try await desk.store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(messages.map(\.text) == ["Your withdrawal of 300.00 USD did not pass our review; the money is still in your account. Reply here to learn why."])
            #expect(messages.first?.author == .agent(desk.first.id))
            #expect(desk.notifier.sent.isEmpty)
        }
    }
}
