import Foundation
import KefuCore
import KefuStore

public enum AnnouncementError: Error, Equatable, Sendable {
    case invalid(ValidationFailure)
    case notFound(String)
    /// Publishing what is already published (or withdrawing what is not).
    case conflict(String)
}

/// Supervisors' announcements from the official accounts: written in both languages, edited,
/// published (posted to every Telegram inbox's official channels through the outbox, and
/// listed for the widget and the help center) and withdrawn, every step kept as a version.
public struct Announcements: Sendable {
    public typealias Repositories = AnnouncementRepository & TelegramBotRepository

    let store: any Repositories
    let wake: @Sendable () -> Void

    public init(store: any Repositories, wake: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.wake = wake
    }

    public func create(_ text: AnnouncementText, source: ActionSource, agent: AgentID) async throws -> Announcement {
        let failure = text.problems()
        if !failure.isEmpty { throw AnnouncementError.invalid(failure) }
        return try await store.createAnnouncement(
            text, by: agent, audit: source.audit("announcement.created", subjectKind: "announcement", detail: ["title": text.titleEn]))
    }

    public func edit(_ id: String, text: AnnouncementText, source: ActionSource, agent: AgentID) async throws -> Announcement {
        let failure = text.problems()
        if !failure.isEmpty { throw AnnouncementError.invalid(failure) }
        return try await revise(id, text: text, status: nil, agent: agent, audit: source.audit("announcement.edited", subjectKind: "announcement", subjectId: id))
    }

    /// Publishes and posts to the official channels (once per version and channel).
    public func publish(_ id: String, source: ActionSource, agent: AgentID) async throws -> Announcement {
        guard let current = try await store.announcement(id: id) else { throw AnnouncementError.notFound("announcement") }
        if current.status == .published { throw AnnouncementError.conflict("announcement") }
        var deliveries: [NewChannelDelivery] = []
        for bot in try await store.telegramBots() {
            for entry in bot.announceChats {
                let (chat, locale) = Self.target(entry)
                deliveries.append(
                    NewChannelDelivery(
                        kind: .announcement, inboxId: bot.inboxId, dedupKey: "announce:\(id):v\(current.version + 1):\(bot.inboxId):\(chat)",
                        target: chat, payload: ChannelPayload(text: Self.post(current.text, locale: locale))))
            }
        }
        let published = try await revise(
            id, text: nil, status: .published, expectedVersion: current.version, agent: agent,
            audit: source.audit("announcement.published", subjectKind: "announcement", subjectId: id, detail: ["channels": String(deliveries.count)]),
            deliveries: deliveries)
        if !deliveries.isEmpty { wake() }
        return published
    }

    /// Takes it off the widget and the help center (posts already on Telegram stay there).
    public func unpublish(_ id: String, source: ActionSource, agent: AgentID) async throws -> Announcement {
        guard let current = try await store.announcement(id: id) else { throw AnnouncementError.notFound("announcement") }
        if current.status != .published { throw AnnouncementError.conflict("announcement") }
        return try await revise(
            id, text: nil, status: .unpublished, expectedVersion: current.version, agent: agent, audit: source.audit("announcement.unpublished", subjectKind: "announcement", subjectId: id))
    }

    public func announcement(_ id: String) async throws -> (Announcement, [AnnouncementVersion]) {
        guard let found = try await store.announcement(id: id) else { throw AnnouncementError.notFound("announcement") }
        return (found, try await store.announcementHistory(id: id))
    }

    public func all(limit: Int = 100) async throws -> [Announcement] { try await store.announcements(status: nil, limit: limit) }

    public func published(limit: Int = 20) async throws -> [Announcement] { try await store.announcements(status: .published, limit: limit) }

    func revise(
        _ id: String, text: AnnouncementText?, status: AnnouncementStatus?, expectedVersion: Int? = nil, agent: AgentID, audit: AuditEvent,
        deliveries: [NewChannelDelivery] = []
    ) async throws -> Announcement {
        do {
            return try await store.reviseAnnouncement(
                id: id, text: text, status: status, expectedVersion: expectedVersion, by: agent, audit: audit, deliveries: deliveries)
        } catch StoreError.notFound {
            throw AnnouncementError.notFound("announcement")
        } catch StoreError.conflict {
            throw AnnouncementError.conflict("announcement")
        }
    }

    /// "@kefu_news" or "@kefu_cn=zh-CN": the chat, and the one language posted there (nil: both).
    static func target(_ entry: String) -> (chat: String, locale: String?) {
        let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
        return (parts[0], parts.count > 1 ? parts[1] : nil)
    }

    /// The post: title and body as plain text, in one language or Chinese then English.
    static func post(_ text: AnnouncementText, locale: String?) -> String {
        func one(_ locale: String) -> String { "\(text.title(locale))\n\n\(AnnouncementText.plain(text.body(locale)))" }
        guard let locale else { return one("zh-CN") + "\n\n———\n\n" + one("en") }
        return one(locale)
    }

    /// A channel entry an admin may configure: "@name" (5–32 letters, digits, _) or a numeric
    /// chat id, with an optional "=en" or "=zh-CN".
    public static func isValidTarget(_ entry: String) -> Bool {
        let (chat, locale) = target(entry)
        if let locale, !["en", "zh-CN"].contains(locale) { return false }
        if chat.hasPrefix("@") {
            let name = chat.dropFirst()
            return (5...32).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
        return chat.count <= 20 && chat.hasPrefix("-") && chat.dropFirst().allSatisfy { $0.isASCII && $0.isNumber } && chat.count > 1
    }
}
