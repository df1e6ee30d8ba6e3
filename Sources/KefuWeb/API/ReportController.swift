import Foundation
import Hummingbird
import KefuCore
import KefuQuality

/// `/api/v1/reports/…` (supervisors): the overview as JSON beside the previous period, and the
/// same figures as CSV, plus one row per conversation for the operator's own analysis.
struct ReportController {
    let reports: Reports

    static func range(_ request: Request) throws -> ReportRange {
        let query = QueryReader(request: request)
        return try ReportRange(from: query.string("from"), to: query.string("to"), zone: query.string("tz"))
    }

    static func csv(_ text: String, name: String, range: ReportRange) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"kefu-\(name)-\(range.from)-\(range.to).csv\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("reports/overview", role: .supervisor) { request, _ in
            JSONResponse(try await reports.comparison(try Self.range(request)))
        }
        group.get("reports/conversations.csv", role: .supervisor) { request, _ in
            let range = try Self.range(request)
            return Self.csv(try await reports.conversationsCSV(range), name: "conversations", range: range)
        }
        group.get("reports/summary.csv", role: .supervisor) { request, _ in
            let range = try Self.range(request)
            return Self.csv(try await reports.summaryCSV(range), name: "summary", range: range)
        }
    }
}
