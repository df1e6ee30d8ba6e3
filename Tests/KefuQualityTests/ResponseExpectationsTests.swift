import Foundation
import KefuCore
import KefuQuality
import KefuStore
import KefuTestSupport
import Testing

/// The promised reply time is kept for a second and never past its minute, so a changed policy
/// shows soon without working the sentence out for every mail.
@Suite struct ResponseExpectationsTests {
    @Test(arguments: TestBackend.available)
    func aChangedTargetShowsWithinASecondAndAtTheNextMinute(_ backend: TestBackend) async throws {
        try await ResponseTargetTests.withDesk(backend) { desk in
            let expectations = ResponseExpectations(store: desk.store)
            let chat = try await desk.levels.policies().first { $0.match.channel == .webchat }!
            // 02:00:30 UTC: half a minute left in this minute.
            let asked = desk.clock.now.addingTimeInterval(30)
            #expect(await expectations.expectedReply(for: desk.inbox, locale: .en, at: asked) == "We usually reply within 5 min.")

            _ = try await desk.levels.savePolicy(
                SLAPolicyInput(name: chat.name, match: chat.match, firstResponseSeconds: 600), id: chat.id, by: ResponseTargetTests.admin)
            // Within the second: the sentence already worked out (no read of the policies).
            #expect(await expectations.expectedReply(for: desk.inbox, locale: .en, at: asked.addingTimeInterval(0.5)) == "We usually reply within 5 min.")
            // After it: the new target.
            #expect(await expectations.expectedReply(for: desk.inbox, locale: .en, at: asked.addingTimeInterval(1.5)) == "We usually reply within 10 min.")
            // Each language is its own sentence.
            #expect(await expectations.expectedReply(for: desk.inbox, locale: .zhCN, at: asked.addingTimeInterval(1.6)) == "我们通常会在 10 分钟内回复。")

            _ = try await desk.levels.savePolicy(
                SLAPolicyInput(name: chat.name, match: chat.match, firstResponseSeconds: 900), id: chat.id, by: ResponseTargetTests.admin)
            // 02:00:59.8 asked, then 02:01:00.1: a new minute is worked out again even within the second.
            let endOfMinute = desk.clock.now.addingTimeInterval(59.8)
            #expect(await expectations.expectedReply(for: desk.inbox, locale: .en, at: endOfMinute) == "We usually reply within 15 min.")
            _ = try await desk.levels.savePolicy(
                SLAPolicyInput(name: chat.name, match: chat.match, firstResponseSeconds: 1200), id: chat.id, by: ResponseTargetTests.admin)
            #expect(await expectations.expectedReply(for: desk.inbox, locale: .en, at: endOfMinute.addingTimeInterval(0.3)) == "We usually reply within 20 min.")
            // An instant before the kept one is never answered from it.
            #expect(await expectations.expectedReply(for: desk.inbox, locale: .en, at: asked) == "We usually reply within 20 min.")
        }
    }
}
