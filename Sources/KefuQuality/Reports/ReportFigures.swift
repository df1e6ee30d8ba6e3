import Foundation
import KefuCore
import KefuStore

/// A count in one bucket ("webchat", an inbox id, a label, an hour "09").
public struct ReportBucket: Sendable, Equatable, Codable {
    public var key: String
    public var count: Int
}

/// Durations in seconds: how many, the median and the 90th percentile (nearest rank).
public struct DurationStats: Sendable, Equatable, Codable {
    public var count: Int
    public var medianSeconds: Int?
    public var p90Seconds: Int?

    public init(_ seconds: [Int]) {
        let sorted = seconds.sorted()
        count = sorted.count
        medianSeconds = Self.rank(sorted, 0.5)
        p90Seconds = Self.rank(sorted, 0.9)
    }

    /// Nearest rank: the smallest value with at least `quantile` of the values at or below it.
    static func rank(_ sorted: [Int], _ quantile: Double) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let index = Int((quantile * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(index, 0), sorted.count - 1)]
    }
}

/// Response targets met on time against those missed.
public struct Compliance: Sendable, Equatable, Codable {
    public var met: Int
    public var breached: Int
    /// Met on time ÷ all outcomes; nil without any.
    public var rate: Double?

    public init(met: Int, breached: Int) {
        self.met = met
        self.breached = breached
        rate = met + breached == 0 ? nil : Double(met) / Double(met + breached)
    }
}

/// Satisfaction: surveys sent, answered, the average rating and the share of 4s and 5s.
public struct SatisfactionStats: Sendable, Equatable, Codable {
    public var sent: Int
    public var answered: Int
    public var responseRate: Double?
    public var averageRating: Double?
    public var satisfiedShare: Double?
    /// How many answers gave each rating, 1 to 5.
    public var ratings: [Int]

    public init(_ surveys: [SatisfactionSurvey]) {
        let asked = surveys.filter { $0.status == .sent || $0.status == .answered }
        let answers = asked.compactMap(\.answer)
        sent = asked.count
        answered = answers.count
        responseRate = sent == 0 ? nil : Double(answered) / Double(sent)
        averageRating = answers.isEmpty ? nil : Double(answers.map(\.rating).reduce(0, +)) / Double(answers.count)
        satisfiedShare = answers.isEmpty ? nil : Double(answers.filter { $0.rating >= 4 }.count) / Double(answers.count)
        ratings = SurveyAnswer.ratings.map { rating in answers.filter { $0.rating == rating }.count }
    }
}

/// One group's figures (a channel, an agent, a team).
public struct GroupFigures: Sendable, Equatable, Codable {
    public var key: String
    public var conversations: Int
    public var firstResponse: DurationStats
    public var resolution: DurationStats
    public var sla: Compliance
    public var csat: SatisfactionStats
}

public struct SurveyComment: Sendable, Equatable, Codable {
    public var conversationId: ConversationID
    public var rating: Int
    public var comment: String
    public var agentId: AgentID?
    public var channel: InboxKind
    public var answeredAt: Date?
}

/// Every figure of one period, computed from the store's rows by pure code.
public struct ReportFigures: Sendable, Equatable, Codable {
    public struct Period: Sendable, Equatable, Codable {
        public var from: CalendarDate
        public var to: CalendarDate
        public var timeZone: String
    }

    public struct HelpFigures: Sendable, Equatable, Codable {
        public var viewed: Int
        public var answered: Int
        public var chatStarted: Int
        /// Articles that answered the question ÷ articles read in the widget.
        public var deflectionRate: Double?
        public var searchesWithoutResult: [ReportBucket]
    }

    public var period: Period
    public var conversations: Int
    public var byChannel: [ReportBucket]
    public var byInbox: [ReportBucket]
    public var byTopic: [ReportBucket]
    /// 24 buckets, "00" to "23", in the report's time zone.
    public var byHour: [ReportBucket]
    public var firstResponse: DurationStats
    public var resolution: DurationStats
    public var sla: Compliance
    public var csat: SatisfactionStats
    public var channels: [GroupFigures]
    public var agents: [GroupFigures]
    public var teams: [GroupFigures]
    public var comments: [SurveyComment]
    public var help: HelpFigures
    public var board: BoardFigures

    /// The community feedback board in the period.
    public struct BoardFigures: Sendable, Equatable, Codable {
        public var posts: Int
        public var votes: Int
        public var comments: Int

        public init(posts: Int, votes: Int, comments: Int) {
            self.posts = posts
            self.votes = votes
            self.comments = comments
        }
    }

    /// The figures of `rows`; the hours are counted in `calendar`'s zone.
    public static func compute(
        period: Period, zone: TimeZone, conversations rows: [ReportConversation], outcomes: [ReportTargetOutcome], surveys: [SatisfactionSurvey],
        deflections: [HelpDeflectionOutcome: Int], misses: [HelpSearchMiss], board: BoardFigures = BoardFigures(posts: 0, votes: 0, comments: 0)
    ) -> ReportFigures {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let hours = Dictionary(grouping: rows) { calendar.component(.hour, from: $0.createdAt) }
        func group(_ key: String, _ members: [ReportConversation], _ memberSurveys: [SatisfactionSurvey]) -> GroupFigures {
            let ids = Set(members.map(\.id))
            let own = outcomes.filter { ids.contains($0.conversationId) }
            return GroupFigures(
                key: key, conversations: members.count, firstResponse: firstResponses(members), resolution: resolutions(members),
                sla: Compliance(met: own.filter { $0.outcome == "met" }.count, breached: own.filter { $0.outcome == "breached" }.count),
                csat: SatisfactionStats(memberSurveys))
        }
        func grouped<Key: Hashable>(_ conversationKey: (ReportConversation) -> Key?, _ surveyKey: (SatisfactionSurvey) -> Key?, name: (Key) -> String)
            -> [GroupFigures]
        {
            let members = Dictionary(grouping: rows.filter { conversationKey($0) != nil }) { conversationKey($0)! }
            let asked = Dictionary(grouping: surveys.filter { surveyKey($0) != nil }) { surveyKey($0)! }
            return Set(members.keys).union(asked.keys).map { group(name($0), members[$0] ?? [], asked[$0] ?? []) }
                .sorted { ($0.conversations, $0.key) > ($1.conversations, $1.key) }
        }
        let deflectionsViewed = deflections[.viewed] ?? 0
        let deflectionsAnswered = deflections[.answered] ?? 0
        return ReportFigures(
            period: period, conversations: rows.count, byChannel: buckets(rows.map(\.channel.rawValue)),
            byInbox: buckets(rows.map(\.inboxId.rawValue)), byTopic: buckets(rows.flatMap(\.labels)),
            byHour: (0..<24).map { ReportBucket(key: String(format: "%02d", $0), count: hours[$0]?.count ?? 0) },
            firstResponse: firstResponses(rows), resolution: resolutions(rows),
            sla: Compliance(met: outcomes.filter { $0.outcome == "met" }.count, breached: outcomes.filter { $0.outcome == "breached" }.count),
            csat: SatisfactionStats(surveys),
            channels: grouped({ $0.channel }, { $0.channel }, name: \.rawValue),
            agents: grouped({ $0.assigneeId }, { $0.agentId }, name: \.rawValue),
            teams: grouped({ $0.teamId }, { $0.teamId }, name: \.rawValue),
            comments: surveys.compactMap { survey in
                guard let answer = survey.answer, let comment = answer.comment else { return nil }
                return SurveyComment(
                    conversationId: survey.conversationId, rating: answer.rating, comment: comment, agentId: survey.agentId, channel: survey.channel,
                    answeredAt: survey.answeredAt)
            }.sorted { ($0.answeredAt ?? .distantPast) > ($1.answeredAt ?? .distantPast) }.prefix(50).map { $0 },
            help: HelpFigures(
                viewed: deflectionsViewed, answered: deflectionsAnswered, chatStarted: deflections[.chatStarted] ?? 0,
                deflectionRate: deflectionsViewed == 0 ? nil : Double(deflectionsAnswered) / Double(deflectionsViewed),
                searchesWithoutResult: misses.map { ReportBucket(key: "\($0.locale): \($0.query)", count: $0.searches) }),
            board: board)
    }

    static func buckets(_ keys: [String]) -> [ReportBucket] {
        Dictionary(grouping: keys) { $0 }.map { ReportBucket(key: $0.key, count: $0.value.count) }
            .sorted { ($0.count, $1.key) > ($1.count, $0.key) }
    }

    /// Wall-clock seconds from the start to the first agent reply.
    static func firstResponses(_ rows: [ReportConversation]) -> DurationStats {
        DurationStats(rows.compactMap { row in row.firstReplyAt.map { Int($0.timeIntervalSince(row.createdAt)) } })
    }

    /// Wall-clock seconds from the start to resolved, for those resolved now.
    static func resolutions(_ rows: [ReportConversation]) -> DurationStats {
        DurationStats(rows.compactMap { row in row.status == .resolved ? row.resolvedAt.map { Int($0.timeIntervalSince(row.createdAt)) } : nil })
    }
}
