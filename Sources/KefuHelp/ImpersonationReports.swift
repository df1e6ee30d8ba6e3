import Foundation
import KefuCore
import KefuSafety
import KefuStore

/// Customers' reports of accounts that pretended to be support (the verify page's form and the
/// widget's): checked, stored with their screenshot, reviewed by agents in a queue, and counted
/// under the handle's canonical reading so the verify page can say "reported N times".
public struct ImpersonationReports: Sendable {
    public typealias Repositories = ImpersonationReportRepository & AuditRepository

    /// What a customer sent.
    public struct Submission: Sendable {
        public var place: String
        public var handle: String
        public var note: String
        public var screenshot: [UInt8]?
        public var contactId: ContactID?
        public var locale: String

        public init(place: String, handle: String, note: String, screenshot: [UInt8]?, contactId: ContactID?, locale: String) {
            (self.place, self.handle, self.note, self.screenshot, self.contactId, self.locale) = (place, handle, note, screenshot, contactId, locale)
        }
    }

    static let screenshotTypes: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    let store: any Repositories
    let blobs: any BlobStore
    let now: @Sendable () -> Date

    public init(store: any Repositories, blobs: any BlobStore, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.blobs = blobs
        self.now = now
    }

    /// The canonical reading a handle is counted under: the same one the verify page's checks
    /// are counted under ("@Kefu_Help", "t.me/kefu_help" → "telegram:kefu_help").
    public static func key(for handle: String) -> String {
        OfficialChannels.logged(handle, ImpersonationRules.verify(PastedValue(handle), against: []))
    }

    public func submit(_ submission: Submission, source: ActionSource) async throws -> ImpersonationReport {
        var failure = ValidationFailure()
        let place = ImpersonationReport.Place(rawValue: submission.place)
        if place == nil { failure.add("place", .notOneOf(ImpersonationReport.Place.allCases.map(\.rawValue))) }
        // Lengths first, on what was sent: the secret check below reads only text of a length
        // that can be stored (a 5 MB note would cost seconds of CPU for nothing).
        // NULs are no text (UTF-16 or UTF-32 read as UTF-8 leaves one between every letter,
        // which would hide words from the secret check).
        let sentHandle = submission.handle.replacingOccurrences(of: "\u{0}", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let sentNote = submission.note.replacingOccurrences(of: "\u{0}", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        if sentHandle.isEmpty { failure.add("handle", .required) }
        if sentHandle.unicodeScalars.count > ImpersonationReport.maxHandle * 2 || sentHandle.count > ImpersonationReport.maxHandle {
            failure.add("handle", .tooLong(max: ImpersonationReport.maxHandle))
        }
        if sentNote.unicodeScalars.count > ImpersonationReport.maxNote * 2 || sentNote.count > ImpersonationReport.maxNote {
            failure.add("note", .tooLong(max: ImpersonationReport.maxNote))
        }
        if !failure.isEmpty { throw HelpError.invalid(failure) }
        // Customers' text: a recovery phrase pasted into the note is taken out like anywhere else.
        let handle = SecretGuard.standard.redact(sentHandle).text
        let note = SecretGuard.standard.redact(sentNote).text
        var screenshotType: String?
        if let bytes = submission.screenshot, !bytes.isEmpty {
            if bytes.count > ImpersonationReport.maxScreenshot { failure.add("screenshot", .tooLong(max: ImpersonationReport.maxScreenshot)) }
            screenshotType = AttachmentPolicy.sniff(bytes).flatMap { Self.screenshotTypes.contains($0) ? $0 : nil }
            if screenshotType == nil { failure.add("screenshot", .notOneOf(Self.screenshotTypes.sorted())) }
        }
        if !failure.isEmpty { throw HelpError.invalid(failure) }
        var sha: String?
        if let bytes = submission.screenshot, !bytes.isEmpty { sha = try await blobs.put(Data(bytes)) }
        let report = ImpersonationReport(
            id: UUID().uuidString.lowercased(), place: place!, handle: handle.storable, handleKey: Self.key(for: handle), note: note.storable,
            screenshotSha256: sha, screenshotType: sha == nil ? nil : screenshotType, contactId: submission.contactId,
            locale: UILocale(storedTag: submission.locale).rawValue, status: .new, createdAt: now())
        try await store.addImpersonationReport(
            report, audit: source.audit("impersonation.reported", subjectKind: "impersonation_report", subjectId: report.id, detail: ["place": report.place.rawValue, "handle": report.handleKey]))
        return report
    }

    /// Newest first, a page at a time (`before`: the last report of the page before).
    public func list(status: ImpersonationReport.Status?, before: String? = nil, limit: Int = 100) async throws -> [ImpersonationReport] {
        try await store.impersonationReports(status: status, before: before, limit: limit)
    }

    public func report(id: String) async throws -> ImpersonationReport {
        guard let report = try await store.impersonationReport(id: id) else { throw HelpError.notFound("impersonation_report") }
        return report
    }

    /// An agent's decision: confirmed (it keeps counting) or dismissed (it stops).
    public func review(id: String, status: ImpersonationReport.Status, by agent: AgentID, source: ActionSource) async throws -> ImpersonationReport {
        guard status != .new else { throw HelpError.invalid(ValidationFailure("status", .notOneOf(["confirmed", "dismissed"]))) }
        do {
            return try await store.reviewImpersonationReport(
                id: id, status: status, by: agent,
                audit: source.audit("impersonation.\(status.rawValue)", subjectKind: "impersonation_report", subjectId: id))
        } catch StoreError.notFound {
            throw HelpError.notFound("impersonation_report")
        }
    }

    /// Reports not dismissed about the handle `raw` reads as.
    public func count(for raw: String) async throws -> Int {
        let key = Self.key(for: raw)
        return try await store.impersonationReportCounts(handleKeys: [key])[key] ?? 0
    }

    /// Reports not dismissed about each report's account, by handle key: one read for a page.
    public func counts(for reports: [ImpersonationReport]) async throws -> [String: Int] {
        try await store.impersonationReportCounts(handleKeys: Set(reports.map(\.handleKey)))
    }
}
