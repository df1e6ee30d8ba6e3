import Foundation
import KefuConversations
import KefuCore
import KefuQuality
import KefuRealtime
import KefuStore
import KefuTestSupport
import Testing

/// The feedback board's rules through the real store, on both databases.
@Suite struct FeedbackBoardTests {
    struct Desk {
        let store: SQLStore
        let board: FeedbackBoard
        let mail: RecordingNotifier
        let accounts: [Account]
        let agent: Agent
    }

    static func withDesk<T: Sendable>(_ backend: TestBackend, _ body: @Sendable (Desk) async throws -> T) async throws -> T {
        try await withTestStore(backend) { store in
            let mail = RecordingNotifier()
            var accounts: [Account] = []
            for index in 0..<3 {
                let account = try await store.createAccount(
                    email: "user\(index)@wallet.test", passwordHash: "x", locale: index == 0 ? "zh-CN" : "en",
                    event: AccountEvent(kind: .registered, createdAt: Date()))
                try await store.markAccountEmailVerified(accountId: account.id, event: AccountEvent(kind: .emailVerified, createdAt: Date()))
                accounts.append(try #require(try await store.account(id: account.id)))
            }
            let agent = try await store.createAgent(email: "mei@kefu.test", name: "Mei", role: .supervisor, passwordHash: "x", mustChangePassword: false, audit: nil)
            return try await body(
                Desk(store: store, board: FeedbackBoard(store: store, notifier: mail, publicURL: "https://kefu.test"), mail: mail, accounts: accounts, agent: agent))
        }
    }

    @Test(arguments: TestBackend.available)
    func postsVotesCommentsAndStatusMail(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let post = try await desk.board.post(
                kind: .suggestion, title: "  Dark mode for the app  ", body: "<script>alert(1)</script> please", by: desk.accounts[0], name: "李伟")
            #expect(post.title == "Dark mode for the app")
            #expect(post.body == "<script>alert(1)</script> please")  // stored as written, shown as text
            #expect(post.votes == 1)
            #expect(post.number == 1)
            // Parallel votes from the other accounts, some twice: each counts once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for account in desk.accounts.dropFirst() + desk.accounts.dropFirst() {
                    group.addTask { _ = try await desk.board.vote(post.id, by: account, on: true) }
                }
                for try await _ in group {}
            }
            #expect(try await desk.store.feedbackPost(id: post.id)?.votes == 3)
            #expect(try await desk.board.vote(post.id, by: desk.accounts[2], on: false).votes == 2)
            _ = try await desk.board.comment(on: post.id, body: "Yes please", by: desk.accounts[1], name: nil)
            // Comments of one millisecond are ordered by id; a write now takes less than that.
            try await Task.sleep(for: .milliseconds(2))
            let answer = try await desk.board.answer(post.id, body: "On our list.", by: desk.agent)
            #expect(answer.official)
            #expect(try await desk.store.feedbackComments(postId: post.id, includeHidden: false).map(\.body) == ["Yes please", "On our list."])
            #expect(try await desk.store.feedbackPost(id: post.id)?.comments == 2)
            // The author and the voter hear of the new status, once each, in their language.
            _ = try await desk.board.setStatus(post.id, to: .planned, by: .agent(desk.agent.id))
            _ = try await desk.board.setStatus(post.id, to: .planned, by: .agent(desk.agent.id))
            let sent = desk.mail.sent
            #expect(Set(sent.map(\.to)) == ["user0@wallet.test", "user1@wallet.test"])
            #expect(sent.count == 2)
            #expect(sent.first { $0.to == "user0@wallet.test" }?.subject.contains("已计划") == true)
            #expect(sent.first { $0.to == "user1@wallet.test" }?.text.contains("https://kefu.test/help/en/feedback/1") == true)
        }
    }

    @Test(arguments: TestBackend.available)
    func moderationMergesAndRateLimits(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let first = try await desk.board.post(kind: .problem, title: "Withdrawals stuck", body: "Since Monday", by: desk.accounts[0], name: nil)
            let duplicate = try await desk.board.post(kind: .problem, title: "Withdrawal stuck!!", body: "Same here", by: desk.accounts[1], name: nil)
            _ = try await desk.board.vote(duplicate.id, by: desk.accounts[0], on: true)
            _ = try await desk.board.vote(duplicate.id, by: desk.accounts[2], on: true)
            // Votes follow the merge, one per account.
            let kept = try await desk.board.merge(duplicate.id, into: first.id, by: .agent(desk.agent.id))
            #expect(kept.votes == 3)
            #expect(try await desk.store.feedbackPost(id: duplicate.id)?.mergedInto == first.id)
            await #expect(throws: QualityError.conflict("post")) { _ = try await desk.board.vote(duplicate.id, by: desk.accounts[0], on: true) }
            #expect(try await desk.store.feedbackPosts(FeedbackQuery()).map(\.id) == [first.id])
            // Locked: customers cannot write, agents still answer; hidden: off the board.
            _ = try await desk.board.moderate(first.id, hidden: nil, locked: true, by: .agent(desk.agent.id))
            await #expect(throws: QualityError.conflict("post")) { _ = try await desk.board.comment(on: first.id, body: "hi", by: desk.accounts[2], name: nil) }
            _ = try await desk.board.answer(first.id, body: "Fixed.", by: desk.agent)
            _ = try await desk.board.moderate(first.id, hidden: true, locked: nil, by: .agent(desk.agent.id))
            #expect(try await desk.store.feedbackPosts(FeedbackQuery()).isEmpty)
            #expect(try await desk.store.feedbackPosts(FeedbackQuery(includeHidden: true)).count == 2)
            // Ten writes an hour per account.
            for index in 0..<8 { _ = try await desk.board.post(kind: .suggestion, title: "Idea \(index)", body: "b", by: desk.accounts[2], name: nil) }
            _ = try await desk.board.comment(on: (try await desk.store.feedbackPosts(FeedbackQuery()).first!).id, body: "c", by: desk.accounts[2], name: nil)
            _ = try await desk.board.post(kind: .suggestion, title: "Idea 9", body: "b", by: desk.accounts[2], name: nil)
            await #expect(throws: QualityError.tooManyWrites(retryAfter: 3600)) {
                _ = try await desk.board.post(kind: .suggestion, title: "Idea 10", body: "b", by: desk.accounts[2], name: nil)
            }
            // Bad text is refused with the fields named.
            await #expect(throws: QualityError.self) { _ = try await desk.board.post(kind: .suggestion, title: "ab", body: " ", by: desk.accounts[1], name: nil) }
            // A report counts once while it is open; a comment of another post is not this post's.
            try await desk.board.report(first.id, comment: nil, by: desk.accounts[1], reason: "spam")
            try await desk.board.report(first.id, comment: nil, by: desk.accounts[1], reason: "spam again")
            #expect(try await desk.store.openFeedbackReports(limit: 5).map(\.reason) == ["spam"])
            let other = try await desk.board.post(kind: .suggestion, title: "Another idea", body: "b", by: desk.accounts[0], name: nil)
            let elsewhere = try await desk.board.answer(other.id, body: "Thanks.", by: desk.agent)
            await #expect(throws: QualityError.notFound("comment")) {
                try await desk.board.report(first.id, comment: elsewhere.id, by: desk.accounts[1], reason: "x")
            }
        }
    }

    /// The hourly budget holds against a parallel burst (posts, comments and reports together),
    /// and only an account with a confirmed address writes at all.
    @Test(arguments: TestBackend.available)
    func aParallelBurstStopsAtTheHourlyBudget(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let target = try await desk.board.post(kind: .suggestion, title: "Target", body: "b", by: desk.accounts[0], name: nil)
            let author = desk.accounts[1]
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        do {
                            switch index % 3 {
                            case 0: _ = try await desk.board.post(kind: .suggestion, title: "Burst \(index)", body: "b", by: author, name: nil)
                            case 1: _ = try await desk.board.comment(on: target.id, body: "c \(index)", by: author, name: nil)
                            default:
                                // Each report names a different comment: no two are the same report.
                                let comment = try await desk.board.answer(target.id, body: "a \(index)", by: desk.agent)
                                try await desk.board.report(target.id, comment: comment.id, by: author, reason: "r")
                            }
                            return true
                        } catch QualityError.tooManyWrites {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == FeedbackBoard.writesPerHour)
            #expect(try await desk.store.feedbackWrites(account: author.id, since: Date().addingTimeInterval(-3600)) == FeedbackBoard.writesPerHour)

            let stranger = try await desk.store.createAccount(
                email: "new@wallet.test", passwordHash: "x", locale: "en", event: AccountEvent(kind: .registered, createdAt: Date()))
            await #expect(throws: QualityError.conflict("unverified_account")) {
                _ = try await desk.board.post(kind: .suggestion, title: "Unconfirmed", body: "b", by: stranger, name: nil)
            }
            await #expect(throws: QualityError.conflict("unverified_account")) { _ = try await desk.board.vote(target.id, by: stranger, on: true) }
            #expect(try await desk.store.feedbackPost(id: target.id)?.votes == 1)
        }
    }

    /// What an outsider found: reports from unconfirmed accounts, merges that counted votes
    /// twice, changes to a closed duplicate, hidden comments still counted, over-long reasons.
    @Test(arguments: TestBackend.available)
    func closedDuplicatesHiddenCommentsAndReportsStayConsistent(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let kept = try await desk.board.post(kind: .suggestion, title: "Address labels", body: "b", by: desk.accounts[0], name: nil)
            let duplicate = try await desk.board.post(kind: .suggestion, title: "Labels please", body: "b", by: desk.accounts[1], name: nil)
            _ = try await desk.board.vote(duplicate.id, by: desk.accounts[0], on: true)
            _ = try await desk.board.vote(duplicate.id, by: desk.accounts[2], on: true)
            let before = try await desk.store.feedbackActivity(from: Date().addingTimeInterval(-60), to: Date().addingTimeInterval(60)).votes
            #expect(before == 4)
            let merged = try await desk.board.merge(duplicate.id, into: kept.id, by: .agent(desk.agent.id))
            #expect(merged.votes == 3)
            // Votes moved, not copied: the board's activity still counts each account's vote once.
            #expect(try await desk.store.feedbackActivity(from: Date().addingTimeInterval(-60), to: Date().addingTimeInterval(60)).votes == 3)
            #expect(try await desk.store.feedbackPost(id: duplicate.id)?.votes == 0)
            // The duplicate is closed to status changes and moderation.
            await #expect(throws: QualityError.conflict("post")) { _ = try await desk.board.setStatus(duplicate.id, to: .planned, by: .agent(desk.agent.id)) }
            await #expect(throws: QualityError.conflict("post")) {
                _ = try await desk.board.moderate(duplicate.id, hidden: nil, locked: false, by: .agent(desk.agent.id))
            }
            #expect(desk.mail.sent.isEmpty)
            // A hidden comment leaves the count readers see, and comes back with it.
            let comment = try await desk.board.comment(on: kept.id, body: "spam spam", by: desk.accounts[2], name: nil)
            _ = try await desk.board.comment(on: kept.id, body: "useful", by: desk.accounts[1], name: nil)
            try await desk.board.hideComment(comment.id, hidden: true, by: .agent(desk.agent.id))
            #expect(try await desk.store.feedbackPost(id: kept.id)?.comments == 1)
            try await desk.board.hideComment(comment.id, hidden: false, by: .agent(desk.agent.id))
            #expect(try await desk.store.feedbackPost(id: kept.id)?.comments == 2)
            // Reports: a reason over 500 characters is refused by name; an unconfirmed account reports nothing.
            await #expect(throws: QualityError.invalid(ValidationFailure("reason", .tooLong(max: 500)))) {
                try await desk.board.report(kept.id, comment: nil, by: desk.accounts[1], reason: String(repeating: "x", count: 501))
            }
            let stranger = try await desk.store.createAccount(
                email: "new@wallet.test", passwordHash: "x", locale: "en", event: AccountEvent(kind: .registered, createdAt: Date()))
            await #expect(throws: QualityError.conflict("unverified_account")) {
                try await desk.board.report(kept.id, comment: nil, by: stranger, reason: "spam")
            }
            #expect(try await desk.store.openFeedbackReports(limit: 5).isEmpty)
        }
    }

    /// The board is public: a phrase or key written on it is taken out before it is stored.
    @Test(arguments: TestBackend.available)
    func secretsNeverReachThePublicBoard(_ backend: TestBackend) async throws {
        try await Self.withDesk(backend) { desk in
            let phrase = "legal winner thank year wave sausage worth useful legal winner thank yellow"
            let post = try await desk.board.post(kind: .problem, title: "Restore help", body: "My words: \(phrase)", by: desk.accounts[0], name: nil)
            #expect(post.body == "My words: [redacted: recovery phrase]")
            let comment = try await desk.board.comment(on: post.id, body: "key 5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", by: desk.accounts[1], name: nil)
            #expect(comment.body == "key [redacted: private key]")
            let audit = try await desk.store.auditEntries(before: nil, limit: 10).filter { $0.action == "feedback.secret_redacted" }
            #expect(audit.count == 2 && !"\(audit)".contains("sausage"))
        }
    }
}
