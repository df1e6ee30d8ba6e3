import Foundation

public enum AnnouncementStatus: String, Sendable, Codable, CaseIterable {
    case draft, published, unpublished
}

/// An announcement's text in both languages (Markdown bodies).
public struct AnnouncementText: Sendable, Equatable, Codable {
    public var titleEn: String
    public var titleZh: String
    public var bodyEn: String
    public var bodyZh: String

    /// NUL cannot be stored in PostgreSQL text (and ends SQLite's C strings): it is kept as U+FFFD.
    public init(titleEn: String, titleZh: String, bodyEn: String, bodyZh: String) {
        self.titleEn = titleEn.storable
        self.titleZh = titleZh.storable
        self.bodyEn = bodyEn.storable
        self.bodyZh = bodyZh.storable
    }

    public static let maxTitle = 200
    public static let maxBody = 3_000

    /// Both languages are required: the official accounts speak to both communities.
    public func problems() -> ValidationFailure {
        var failure = ValidationFailure()
        for (field, value, max) in [
            ("titleEn", titleEn, Self.maxTitle), ("titleZh", titleZh, Self.maxTitle), ("bodyEn", bodyEn, Self.maxBody), ("bodyZh", bodyZh, Self.maxBody),
        ] {
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { failure.add(field, .required) }
            if value.count > max { failure.add(field, .tooLong(max: max)) }
        }
        return failure
    }

    public func title(_ locale: String) -> String { locale.hasPrefix("zh") ? titleZh : titleEn }
    public func body(_ locale: String) -> String { locale.hasPrefix("zh") ? bodyZh : bodyEn }

    /// Markdown as plain text for places that show no formatting (a Telegram post): emphasis
    /// marks and heading hashes dropped, links as "text (url)".
    public static func plain(_ markdown: String) -> String {
        var text = markdown.components(separatedBy: "\n").map { line -> String in
            guard line.hasPrefix("#") else { return line }
            return String(line.drop(while: { $0 == "#" })).trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
        // [text](url) → text (url)
        while let open = text.range(of: "["), let middle = text.range(of: "](", range: open.upperBound..<text.endIndex),
            let close = text.range(of: ")", range: middle.upperBound..<text.endIndex)
        {
            let label = text[open.upperBound..<middle.lowerBound]
            let url = text[middle.upperBound..<close.lowerBound]
            guard !label.contains("\n"), !url.contains(" ") else { break }
            text.replaceSubrange(open.lowerBound..<close.upperBound, with: "\(label) (\(url))")
        }
        for mark in ["**", "__", "`"] { text = text.replacingOccurrences(of: mark, with: "") }
        return text
    }
}

public struct Announcement: Sendable, Equatable {
    public var id: String
    public var status: AnnouncementStatus
    public var text: AnnouncementText
    /// 1 when written, one more for every edit, publication and withdrawal.
    public var version: Int
    public var publishedAt: Date?
    public var createdBy: AgentID
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, status: AnnouncementStatus, text: AnnouncementText, version: Int, publishedAt: Date?, createdBy: AgentID, createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.status = status
        self.text = text
        self.version = version
        self.publishedAt = publishedAt
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public enum AnnouncementAction: String, Sendable, Codable {
    case created, edited, published, unpublished
}

/// One step in an announcement's history, with the text as it was then.
public struct AnnouncementVersion: Sendable, Equatable {
    public var version: Int
    public var action: AnnouncementAction
    public var text: AnnouncementText
    public var agentId: AgentID
    public var createdAt: Date

    public init(version: Int, action: AnnouncementAction, text: AnnouncementText, agentId: AgentID, createdAt: Date) {
        self.version = version
        self.action = action
        self.text = text
        self.agentId = agentId
        self.createdAt = createdAt
    }
}
