import Foundation
import Hummingbird
import KefuAccounts
import KefuChannels
import KefuConversations
import KefuCore
import KefuHelp
import KefuStore

/// The API of agent verification and impersonation reports: customers check a code and report
/// a fake account (from the public site or the widget, where the visitor is known); supervisors
/// work the reports queue.
struct TrustAndSafetyController {
    let safety: TrustAndSafety
    let widget: WidgetService
    let blobs: any BlobStore
    let throttler: any CredentialThrottle
    let limits: BodyLimits

    struct CodeBody: Decodable, Sendable {
        let code: String
        let email: String?
    }

    struct CodeAnswer: Encodable, Sendable {
        let genuine: Bool
        let agentName: String?
        let conversationNumber: Int64?

        init(_ answer: AgentVerification.Answer) {
            switch answer {
            case .genuine(let agent, let number): (genuine, agentName, conversationNumber) = (true, agent, number)
            case .notGenuine: (genuine, agentName, conversationNumber) = (false, nil, nil)
            }
        }
    }

    struct ReportBody: Decodable, Sendable {
        let place: String
        let handle: String
        let note: String?
        /// The image, base64.
        let screenshot: String?
        let locale: String?
    }

    struct ReportReceipt: Encodable, Sendable {
        let id: String
        let status: ImpersonationReport.Status
    }

    struct ReportView: Encodable, Sendable {
        let id: String
        let place: ImpersonationReport.Place
        let handle: String
        let handleKey: String
        let note: String
        let hasScreenshot: Bool
        let contactId: ContactID?
        let locale: String
        let status: ImpersonationReport.Status
        let createdAt: Date
        let reviewedBy: AgentID?
        let reviewedAt: Date?
        /// Reports not dismissed about the same account, this one included.
        let reports: Int

        init(_ report: ImpersonationReport, reports: Int) {
            (id, place, handle, handleKey, note) = (report.id, report.place, report.handle, report.handleKey, report.note)
            (hasScreenshot, contactId, locale, status) = (report.screenshotSha256 != nil, report.contactId, report.locale, report.status)
            (createdAt, reviewedBy, reviewedAt, self.reports) = (report.createdAt, report.reviewedBy, report.reviewedAt, reports)
        }
    }

    struct ReportPage: Encodable, Sendable {
        let items: [ReportView]
        let nextCursor: String?
    }

    struct ReviewBody: Decodable, Sendable {
        let status: ImpersonationReport.Status
    }

    /// The JSON body's base64 screenshot at its largest.
    static var reportLimit: Int { ImpersonationReport.maxScreenshot / 3 * 4 + (64 << 10) }

    func addPublicRoutes(to group: CatalogedGroup<KefuRequestContext>) {
        group.post("help/verify/agent-code") { request, context in
            let body = try await request.decodeJSON(CodeBody.self, limit: limits.small)
            return try await check(network: context.peerAddress) { try await safety.verification.check(code: body.code, email: body.email ?? "") }
        }
        group.post("help/impersonation-reports") { request, context in
            try await report(request, context, contact: nil)
        }
        group.post("widget/agent-code") { request, context in
            let session = try await widget.visitor(request)
            let body = try await request.decodeJSON(CodeBody.self, limit: limits.small)
            return try await check(network: context.peerAddress) { try await safety.verification.check(code: body.code, contact: session.contactId) }
        }
        group.post("widget/impersonation-reports") { request, context in
            try await report(request, context, contact: try await widget.visitor(request).contactId)
        }
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.get("impersonation-reports", role: .supervisor) { request, _ in
            let query = QueryReader(request: request)
            let status = try query.enumValue("status", as: ImpersonationReport.Status.self)
            let limit = PageSize.clamp(try query.int("limit", range: 1...Int64(PageSize.maximum)).map(Int.init))
            let before = try query.string("cursor").map { raw in
                guard let id = UUID(uuidString: raw) else { throw APIError.validation("cursor", .invalid) }
                return id.uuidString.lowercased()
            }
            let reports = try await safety.reports.list(status: status, before: before, limit: limit)
            let counts = try await safety.reports.counts(for: reports)
            let next = reports.count == limit ? reports.last?.id : nil
            return JSONResponse(ReportPage(items: reports.map { ReportView($0, reports: counts[$0.handleKey] ?? 0) }, nextCursor: next))
        }
        group.post("impersonation-reports/{id}/review", role: .supervisor) { request, context in
            let id = try Self.reportId(context)
            let body = try await request.decodeJSON(ReviewBody.self, limit: limits.small)
            let report = try await safety.reports.review(id: id, status: body.status, by: context.agent.id, source: context.source)
            return JSONResponse(ReportView(report, reports: try await safety.reports.counts(for: [report])[report.handleKey] ?? 0))
        }
        group.get("impersonation-reports/{id}/screenshot", role: .supervisor) { _, context in
            try await screenshot(try await safety.reports.report(id: try Self.reportId(context)), context: context)
        }
    }

    static func reportId(_ context: AuthenticatedContext) throws -> String {
        guard let id = context.parameters.get("id"), UUID(uuidString: id) != nil else { throw APIError.notFound("impersonation_report") }
        return id.lowercased()
    }

    /// The report's screenshot, sniffed when it came, served so a browser can never run it.
    func screenshot(_ report: ImpersonationReport, context: some RequestContext) async throws -> Response {
        guard let sha = report.screenshotSha256, let type = report.screenshotType else { throw APIError.notFound("screenshot") }
        return try await BlobResponse.stream(
            sha, from: blobs,
            headers: [
                .contentType: type, .contentDisposition: "inline", .contentSecurityPolicy: "default-src 'none'; sandbox",
                .cacheControl: "private, max-age=86400",
            ],
            context: context)
    }

    func check(network: String?, _ run: () async throws -> AgentVerification.Answer) async throws -> JSONResponse<CodeAnswer> {
        JSONResponse(CodeAnswer(try await Self.check(throttler, network: network, run)))
    }

    /// A wrong code counts against the network; a genuine one, or one that is not a code's form
    /// at all (nothing was guessed), gives its attempt back.
    static func check(
        _ throttler: any CredentialThrottle, network: String?, _ run: () async throws -> AgentVerification.Answer
    ) async throws -> AgentVerification.Answer {
        let ticket = try await throttler.admit([("agent-code-client:\(ClientNetwork.key(network))", HelpVerifyPage.codeChecksPerClient)])
        do {
            let answer = try await run()
            if case .genuine = answer { await throttler.giveBack(ticket) }
            return answer
        } catch {
            await throttler.giveBack(ticket)
            throw error
        }
    }

    func report(_ request: Request, _ context: KefuRequestContext, contact: ContactID?) async throws -> JSONResponse<ReportReceipt> {
        let body = try await request.decodeJSON(ReportBody.self, limit: Self.reportLimit)
        _ = try await throttler.admit([("impersonation-report-client:\(ClientNetwork.key(context.peerAddress))", HelpVerifyPage.reportsPerClient)])
        var screenshot: [UInt8]?
        if let encoded = body.screenshot, !encoded.isEmpty {
            guard let data = Data(base64Encoded: encoded) else { throw APIError.validation("screenshot", .invalid) }
            screenshot = Array(data)
        }
        let author = contact.map(Author.contact) ?? Author(kind: .contact, id: nil)
        let report = try await safety.reports.submit(
            .init(place: body.place, handle: body.handle, note: body.note ?? "", screenshot: screenshot, contactId: contact, locale: body.locale ?? "en"),
            source: ActionSource(author: author, clientAddress: context.peerAddress))
        return JSONResponse(ReportReceipt(id: report.id, status: report.status), status: .created)
    }
}
