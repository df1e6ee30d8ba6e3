import Foundation
import KefuCore
import KefuStore

/// The operator's official channels and the check customers run against them on the verify
/// page: what admins list, plus what Kefu knows by itself (each Telegram inbox's bot and
/// announcement channels, the support address, the help center's own host). Every check is
/// counted per value, so the team sees what is being impersonated.
public struct OfficialChannels: Sendable {
    public typealias Repositories = OfficialChannelRepository & TelegramBotRepository

    /// One official channel and where the list got it.
    public struct Listed: Sendable, Equatable {
        public enum Source: String, Sendable, Codable {
            /// Added by an admin.
            case admin
            /// A Telegram inbox's bot or announcement channel.
            case telegram
            /// The support address mail goes to.
            case supportAddress = "support_address"
            /// The host this help center is served from.
            case site
        }

        public var channel: OfficialChannel
        public var source: Source
        /// The admin entry's id (only those can be removed).
        public var id: String?
        public var note: String?
    }

    let store: any Repositories
    let supportAddress: String
    let publicURL: String

    public init(store: any Repositories, supportAddress: String, publicURL: String) {
        self.store = store
        self.supportAddress = supportAddress
        self.publicURL = publicURL
    }

    public static let maxValue = 512
    public static let maxNote = 200

    public func list() async throws -> [Listed] {
        var listed = try await store.officialChannels().map { Listed(channel: $0.channel, source: .admin, id: $0.id, note: $0.note.isEmpty ? nil : $0.note) }
        func add(_ kind: OfficialChannelKind, _ raw: String, _ source: Listed.Source) {
            guard let value = OfficialChannel.canonical(kind: kind, raw) else { return }
            let channel = OfficialChannel(kind: kind, value: value)
            if !listed.contains(where: { $0.channel == channel }) { listed.append(Listed(channel: channel, source: source)) }
        }
        for bot in try await store.telegramBots() {
            add(.telegram, bot.username, .telegram)
            // "@chan" or "@chan=zh-CN"; numeric chat ids have no public name to check.
            for entry in bot.announceChats where entry.hasPrefix("@") {
                add(.telegram, String(entry.split(separator: "=").first ?? ""), .telegram)
            }
        }
        add(.email, supportAddress, .supportAddress)
        if let host = URL(string: publicURL)?.host, host != "localhost", !host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) {
            add(.url, host, .site)
        }
        return listed
    }

    /// Adds an entry; the value is read as its kind would be written (a link, an @handle, a
    /// number with spaces) and stored canonical.
    public func add(kind: OfficialChannelKind, value: String, note: String?, admin: AgentID, source: ActionSource) async throws -> OfficialChannelRecord {
        var failure = ValidationFailure()
        if value.unicodeScalars.count > Self.maxValue { failure.add("value", .tooLong(max: Self.maxValue)) }
        let canonical = OfficialChannel.canonical(kind: kind, value)
        if canonical == nil, failure.isEmpty { failure.add("value", .invalid) }
        let note = (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).storable
        if note.unicodeScalars.count > Self.maxNote { failure.add("note", .tooLong(max: Self.maxNote)) }
        guard failure.isEmpty, let canonical else { throw HelpError.invalid(failure) }
        let channel = OfficialChannel(kind: kind, value: canonical)
        do {
            return try await store.addOfficialChannel(
                channel, note: note, by: admin,
                audit: source.audit("official_channel.added", subjectKind: "official_channel", detail: ["kind": kind.rawValue, "value": canonical]))
        } catch StoreError.conflict {
            throw HelpError.conflict("official_channel")
        }
    }

    public func remove(id: String, source: ActionSource) async throws {
        do {
            try await store.removeOfficialChannel(id: id, audit: source.audit("official_channel.removed", subjectKind: "official_channel", subjectId: id))
        } catch StoreError.notFound {
            throw HelpError.notFound("official_channel")
        }
    }

    /// Whether `raw` is official, imitates an official channel, or is unknown; counted.
    public func verify(_ raw: String) async throws -> Verification {
        // The limit is on what was sent (as openapi.yaml states it), before trimming.
        if raw.unicodeScalars.count > Self.maxValue { throw HelpError.invalid(ValidationFailure("value", .tooLong(max: Self.maxValue))) }
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { throw HelpError.invalid(ValidationFailure("value", .required)) }
        let verification = ImpersonationRules.verify(PastedValue(trimmed), against: try await list().map(\.channel))
        let resembles = verification.matches.first.map { "\($0.kind.rawValue):\($0.official)" }
        try await store.recordOfficialChannelCheck(value: Self.logged(trimmed, verification), status: verification.status, resembles: resembles)
        return verification
    }

    /// What the count is kept under: the canonical reading when there is one (so "@Kefu" and
    /// "t.me/kefu" count together), else the text as typed, folded and cut.
    public static func logged(_ raw: String, _ verification: Verification) -> String {
        if let first = verification.checked.first { return "\(first.kind.rawValue):\(first.value)".storable }
        return String(raw.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(120)).storable
    }

    public func checks(status: VerificationStatus? = nil, limit: Int = 200) async throws -> [OfficialChannelCheck] {
        try await store.officialChannelChecks(status: status, limit: limit)
    }
}
