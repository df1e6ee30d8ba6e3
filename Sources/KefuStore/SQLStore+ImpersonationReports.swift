import Foundation
import KefuCore
import SQLKit

public protocol ImpersonationReportRepository: Sendable {
    func addImpersonationReport(_ report: ImpersonationReport, audit: AuditEvent?) async throws
    func impersonationReport(id: String) async throws -> ImpersonationReport?
    /// Newest first; `status` nil for all; `before` a report's id: the page after it.
    func impersonationReports(status: ImpersonationReport.Status?, before: String?, limit: Int) async throws -> [ImpersonationReport]
    /// Moves a report to confirmed or dismissed; `StoreError.notFound` when there is none.
    func reviewImpersonationReport(id: String, status: ImpersonationReport.Status, by agent: AgentID, audit: AuditEvent?) async throws
        -> ImpersonationReport
    /// Reports not dismissed under each of `handleKeys` (keys with none are left out).
    func impersonationReportCounts(handleKeys: Set<String>) async throws -> [String: Int]
}

extension SQLStore: ImpersonationReportRepository {
    static let reportColumns = """
        id, place, handle, handle_key, note, screenshot_sha256, screenshot_type, contact_id, locale, status, created_at, reviewed_by, reviewed_at
        """

    static func report(from row: any SQLRow) throws -> ImpersonationReport {
        ImpersonationReport(
            id: try row.string("id"), place: try row.enumValue("place", as: ImpersonationReport.Place.self), handle: try row.string("handle"),
            handleKey: try row.string("handle_key"), note: try row.string("note"), screenshotSha256: try row.optionalString("screenshot_sha256"),
            screenshotType: try row.optionalString("screenshot_type"), contactId: try row.optionalString("contact_id").map(ContactID.init(rawValue:)),
            locale: try row.string("locale"), status: try row.enumValue("status", as: ImpersonationReport.Status.self),
            createdAt: try row.date("created_at"), reviewedBy: try row.optionalString("reviewed_by").map(AgentID.init(rawValue:)),
            reviewedAt: try row.optionalDate("reviewed_at"))
    }

    public func addImpersonationReport(_ report: ImpersonationReport, audit: AuditEvent?) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO impersonation_reports (id, place, handle, handle_key, note, screenshot_sha256, screenshot_type, contact_id, locale,
                    status, client_address, created_at)
                VALUES (\(bind: report.id), \(bind: report.place.rawValue), \(bind: report.handle), \(bind: report.handleKey), \(bind: report.note),
                    \(bind: report.screenshotSha256), \(bind: report.screenshotType), \(bind: report.contactId?.rawValue), \(bind: report.locale),
                    \(bind: report.status.rawValue), \(bind: audit?.clientAddress), \(bind: Clock.millis(report.createdAt)))
                """
            ).run()
            if let audit { try await insertAudit(audit, on: sql) }
        }
    }

    public func impersonationReport(id: String) async throws -> ImpersonationReport? {
        try await database.read { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.reportColumns) FROM impersonation_reports WHERE id = \(bind: id)").first().map(Self.report(from:))
        }
    }

    public func impersonationReports(status: ImpersonationReport.Status?, before: String?, limit: Int) async throws -> [ImpersonationReport] {
        try await database.read { sql in
            var filter: SQLQueryString = status.map { "WHERE status = \(bind: $0.rawValue)" } ?? "WHERE 1 = 1"
            if let before, let cursor = try await sql.raw("SELECT created_at FROM impersonation_reports WHERE id = \(bind: before)").first() {
                let at = try cursor.int64("created_at")
                filter = "\(filter) AND (created_at < \(bind: at) OR (created_at = \(bind: at) AND id > \(bind: before)))"
            }
            return try await sql.raw(
                "SELECT \(unsafeRaw: Self.reportColumns) FROM impersonation_reports \(filter) ORDER BY created_at DESC, id LIMIT \(literal: limit)"
            ).all().map(Self.report(from:))
        }
    }

    public func reviewImpersonationReport(id: String, status: ImpersonationReport.Status, by agent: AgentID, audit: AuditEvent?) async throws
        -> ImpersonationReport
    {
        try await database.write { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE impersonation_reports SET status = \(bind: status.rawValue), reviewed_by = \(bind: agent.rawValue),
                        reviewed_at = \(bind: Clock.millis(now()))
                    WHERE id = \(bind: id) RETURNING \(unsafeRaw: Self.reportColumns)
                    """
                ).first()
            else { throw StoreError.notFound("impersonation_report") }
            if let audit { try await insertAudit(audit, on: sql) }
            return try Self.report(from: row)
        }
    }

    public func impersonationReportCounts(handleKeys: Set<String>) async throws -> [String: Int] {
        guard !handleKeys.isEmpty else { return [:] }
        return try await database.read { sql in
            let rows = try await sql.raw(
                """
                SELECT handle_key, COUNT(*) AS n FROM impersonation_reports
                WHERE handle_key IN (\(binds: handleKeys.sorted())) AND status <> 'dismissed' GROUP BY handle_key
                """
            ).all()
            var counts: [String: Int] = [:]
            for row in rows { counts[try row.string("handle_key")] = try row.decode(column: "n", as: Int.self) }
            return counts
        }
    }
}
