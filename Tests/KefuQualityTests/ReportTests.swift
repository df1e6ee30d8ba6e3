import Foundation
import KefuConversations
import KefuCore
@testable import KefuQuality
import KefuRealtime
import KefuStore
import KefuTestSupport
import Logging
import Testing

/// Report figures against a seeded set whose answers this test works out on its own.
@Suite struct ReportTests {
    /// Sunday 2026-11-29 16:00 UTC = Monday 00:00 in Shanghai.
    static let start = Date(timeIntervalSince1970: 1_795_968_000)

    struct Seeded {
        let conversations: [(id: ConversationID, channel: InboxKind, created: Date, firstReply: Int?, resolvedAfter: Int?, rating: Int?)]
    }

    /// Six conversations over Monday in Shanghai: chat and mail, replies after known seconds,
    /// some resolved and rated.
    static func seed(_ store: SQLStore, clock: TestClock) async throws -> (Seeded, agent: Agent) {
        let service = ConversationService(store: store, bus: EventHub(), presence: PresenceRegistry())
        let surveys = SatisfactionSurveys(
            store: store, conversations: service, delivery: NoDelivery(), links: SurveyLinks(secretKey: Data(count: 32), publicURL: "https://x"), delay: 0,
            logger: Logger(label: "test"))
        let chat = try await store.createInbox(name: "Chat", kind: .webchat, audit: nil)
        let mail = try await store.createInbox(name: "Mail", kind: .email, audit: nil)
        let agent = try await store.createAgent(email: "mei@kefu.test", name: "Mei", role: .agent, passwordHash: "x", mustChangePassword: false, audit: nil)
        // (hour of the Shanghai day it starts, channel, reply after, resolved after, rating)
        let plan: [(Int, InboxKind, Int?, Int?, Int?)] = [
            (9, .webchat, 60, 600, 5), (9, .webchat, 240, 1200, 2), (10, .webchat, 30, nil, nil), (14, .email, 3600, 7200, 4),
            (14, .email, nil, nil, nil), (23, .webchat, 900, 1000, nil),
        ]
        var seeded: [(id: ConversationID, channel: InboxKind, created: Date, firstReply: Int?, resolvedAfter: Int?, rating: Int?)] = []
        for (index, (hour, kind, reply, resolved, rating)) in plan.enumerated() {
            clock.set(start.addingTimeInterval(TimeInterval(hour * 3600 + index)))
            let created = clock.now
            let contact = try await store.createContact(name: "C\(index)", email: "c\(index)@kefu.test", locale: "en")
            let id = try await service.start(
                ConversationStart(
                    inboxId: kind == .webchat ? chat.id : mail.id, contactId: contact.id, subject: nil, labels: index % 2 == 0 ? ["withdrawal"] : ["kyc"],
                    firstMessage: NewMessage(direction: .incoming, author: .contact(contact.id), text: "hi")), autoAssign: false
            ).conversation.id
            if let reply {
                clock.set(created.addingTimeInterval(TimeInterval(reply)))
                _ = try await service.send(NewMessage(direction: .outgoing, author: .agent(agent.id), text: "ok"), to: id)
            }
            if let resolved {
                clock.set(created.addingTimeInterval(TimeInterval(resolved)))
                _ = try await service.change(ConversationChange(status: .resolved, assigneeId: .some(agent.id)), of: id, by: .agent(agent.id))
                _ = try await surveys.sendDue(owner: "t", now: clock.now)
                if let rating, let survey = try await store.surveys(conversationId: id).first {
                    _ = try await service.answerSurvey(survey.id, answer: SurveyAnswer(rating: rating, comment: "r\(rating)"), via: "page", at: clock.now)
                }
            }
            seeded.append((id, kind, created, reply, resolved, rating))
        }
        return (Seeded(conversations: seeded), agent)
    }

    struct NoDelivery: SurveyDelivery {
        func deliverSurvey(_ invitation: SurveyInvitation) async throws {}
    }

    @Test(arguments: TestBackend.available)
    func figuresMatchWhatTheSeedImplies(_ backend: TestBackend) async throws {
        let clock = TestClock(Self.start)
        try await withTestStore(backend, now: { clock.now }) { store in
            let (seeded, agent) = try await Self.seed(store, clock: clock)
            let range = try ReportRange(from: "2026-11-30", to: "2026-11-30", zone: "Asia/Shanghai")
            let figures = try await Reports(store: store).figures(range)
            let rows = seeded.conversations
            #expect(figures.conversations == rows.count)
            #expect(figures.byChannel == [ReportBucket(key: "webchat", count: 4), ReportBucket(key: "email", count: 2)])
            #expect(figures.byTopic.map(\.count).reduce(0, +) == rows.count)
            let hours = Dictionary(grouping: [9, 9, 10, 14, 14, 23]) { $0 }.mapValues(\.count)
            #expect(figures.byHour.map(\.count) == (0..<24).map { hours[$0] ?? 0 })
            // Nearest rank on the sorted reply times [30, 60, 240, 900, 3600]: median the 3rd, p90 the 5th.
            let replies = rows.compactMap(\.firstReply).sorted()
            #expect(figures.firstResponse.count == replies.count)
            #expect(figures.firstResponse.medianSeconds == replies[Int((0.5 * Double(replies.count)).rounded(.up)) - 1])
            #expect(figures.firstResponse.p90Seconds == replies.last)
            let resolutions = rows.compactMap(\.resolvedAfter).sorted()
            #expect(figures.resolution.medianSeconds == resolutions[Int((0.5 * Double(resolutions.count)).rounded(.up)) - 1])
            // Ratings 5, 2, 4 of four surveys sent.
            let ratings = rows.compactMap(\.rating)
            #expect(figures.csat.sent == rows.filter { $0.resolvedAfter != nil }.count)
            #expect(figures.csat.answered == ratings.count)
            #expect(figures.csat.averageRating == Double(ratings.reduce(0, +)) / Double(ratings.count))
            #expect(figures.csat.ratings == [0, 1, 0, 1, 1])
            // Chat targets are 5 minutes: replies after 60, 240 and 30 s kept it; the one after 900 s
            // did not (its miss is the timer's to record, which this seed does not run), mail's 24 h did.
            let chatReplies = rows.filter { $0.channel == .webchat }.compactMap(\.firstReply)
            #expect(figures.channels.first { $0.key == "webchat" }?.sla == Compliance(met: chatReplies.filter { $0 <= 300 }.count, breached: 0))
            #expect(figures.sla == Compliance(met: chatReplies.filter { $0 <= 300 }.count + 1, breached: 0))
            #expect(figures.agents.first { $0.key == agent.id.rawValue }?.csat.answered == ratings.count)
            #expect(Set(figures.comments.map(\.comment)) == Set(ratings.map { "r\($0)" }))
            // A post on the board that day, with its author's vote and a comment.
            let registered = try await store.createAccount(
                email: "a@wallet.test", passwordHash: "x", locale: "en", event: AccountEvent(kind: .registered, createdAt: clock.now))
            try await store.markAccountEmailVerified(accountId: registered.id, event: AccountEvent(kind: .emailVerified, createdAt: clock.now))
            let account = try #require(try await store.account(id: registered.id))
            let board = FeedbackBoard(store: store, notifier: RecordingNotifier(), publicURL: "https://x", now: { clock.now })
            let post = try await board.post(kind: .suggestion, title: "Dark mode", body: "please", by: account, name: nil)
            _ = try await board.comment(on: post.id, body: "+1", by: account, name: nil)
            #expect(try await Reports(store: store).figures(range).board == .init(posts: 1, votes: 1, comments: 1))
            // The day before has nothing; the range outside it neither.
            #expect(try await Reports(store: store).comparison(range).previous.conversations == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func theConversationsCSVHasOneRowPerConversation(_ backend: TestBackend) async throws {
        let clock = TestClock(Self.start)
        try await withTestStore(backend, now: { clock.now }) { store in
            let (seeded, _) = try await Self.seed(store, clock: clock)
            let csv = try await Reports(store: store).conversationsCSV(try ReportRange(from: "2026-11-30", to: "2026-11-30", zone: "Asia/Shanghai"))
            let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first?.hasPrefix("id,number,channel,inbox_id,status,created_at,first_reply_at,resolved_at,first_response_seconds") == true)
            #expect(lines.count == seeded.conversations.count + 1)
            let first = try #require(lines.first { $0.hasPrefix(seeded.conversations[0].id.rawValue) }?.split(separator: ",", omittingEmptySubsequences: false))
            #expect(first[8] == "60")
            #expect(first[9] == "600")
            #expect(first[11] == "5")
            // The day before in UTC ends at Monday 08:00 in Shanghai, before any of them started: a header only.
            let utc = try await Reports(store: store).conversationsCSV(try ReportRange(from: "2026-11-29", to: "2026-11-29", zone: "UTC"))
            #expect(utc.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 1)
        }
    }

    @Test func rangesAreCheckedAndComparedWithTheDaysBefore() throws {
        let range = try ReportRange(from: "2026-03-01", to: "2026-03-07", zone: "UTC")
        #expect(range.days == 7)
        #expect(range.previous.from == CalendarDate("2026-02-22"))
        #expect(range.previous.to == CalendarDate("2026-02-28"))
        #expect(throws: QualityError.invalid(ValidationFailure("to", .rule("before_from")))) { try ReportRange(from: "2026-03-07", to: "2026-03-01", zone: nil) }
        #expect(throws: QualityError.self) { try ReportRange(from: "2026-13-01", to: "2026-03-01", zone: nil) }
        #expect(throws: QualityError.self) { try ReportRange(from: "2025-01-01", to: "2026-03-01", zone: nil) }
        #expect(throws: QualityError.self) { try ReportRange(from: "2026-03-01", to: "2026-03-01", zone: "Mars/Base") }
    }

    @Test func csvFieldsAreQuotedAndNeverRunAsFormulas() {
        #expect(CSVWriter.field("plain") == "plain")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.field("=HYPERLINK(\"http://evil\")") == "\"'=HYPERLINK(\"\"http://evil\"\")\"")
        #expect(CSVWriter.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVWriter.field("line\nbreak") == "\"line\nbreak\"")
    }
}
