import Foundation
import Hummingbird
import KefuAccounts
import KefuCore
import KefuHelp
import KefuStore

/// `/api/v1/help/verify` and `/api/v1/help/official-channels`: anyone may check a value and
/// read the list; admins maintain it; supervisors read what customers checked.
struct OfficialChannelController {
    let channels: OfficialChannels
    let throttler: any CredentialThrottle
    let readThrottler: any CredentialThrottle
    let limits: BodyLimits

    struct AddBody: Decodable {
        let kind: OfficialChannelKind
        let value: String
        let note: String?
    }

    struct VerifyResponse: Encodable, Sendable {
        struct Match: Encodable, Sendable {
            let kind: OfficialChannelKind
            let official: String
            let reason: VerificationMatch.Reason
        }

        let value: String
        let status: VerificationStatus
        let matches: [Match]?

        init(value: String, _ verification: Verification) {
            self.value = value
            status = verification.status
            matches = verification.matches.isEmpty ? nil : verification.matches.map { Match(kind: $0.kind, official: $0.official, reason: $0.reason) }
        }
    }

    struct ChannelView: Encodable, Sendable {
        let id: String?
        let kind: OfficialChannelKind
        let value: String
        let source: OfficialChannels.Listed.Source
        let note: String?

        init(_ listed: OfficialChannels.Listed) {
            id = listed.id
            kind = listed.channel.kind
            value = listed.channel.value
            source = listed.source
            note = listed.note
        }

        init(_ record: OfficialChannelRecord) {
            id = record.id
            kind = record.channel.kind
            value = record.channel.value
            source = .admin
            note = record.note.isEmpty ? nil : record.note
        }
    }

    struct CheckView: Encodable, Sendable {
        let value: String
        let status: VerificationStatus
        let resembles: String?
        let checks: Int
        let firstAt: Date
        let lastAt: Date

        init(_ check: OfficialChannelCheck) {
            value = check.value
            status = check.status
            resembles = check.resembles
            checks = check.checks
            firstAt = check.firstAt
            lastAt = check.lastAt
        }
    }

    func addPublicRoutes(to group: CatalogedGroup<KefuRequestContext>) {
        group.get("help/verify") { request, context in
            try await HelpController.admitRead(readThrottler, network: context.peerAddress)
            guard let value = FormQuery.value(request, "value") else { throw APIError.validation("value", .required) }
            return JSONResponse(VerifyResponse(value: value, try await channels.verify(value)))
        }
        group.get("help/official-channels") { _, _ in
            JSONResponse(HelpViews.ListResponse(items: try await channels.list().map(ChannelView.init)))
        }
    }

    func addRoutes(to group: CatalogedGroup<AuthenticatedContext>) {
        group.post("help/official-channels", role: .admin) { request, context in
            let body = try await request.decodeJSON(AddBody.self, limit: limits.small)
            let record = try await channels.add(kind: body.kind, value: body.value, note: body.note, admin: context.agent.id, source: context.source)
            return JSONResponse(ChannelView(record), status: .created)
        }
        group.delete("help/official-channels/{id}", role: .admin) { _, context in
            guard let id = context.parameters.get("id"), UUID(uuidString: id) != nil else { throw APIError.notFound("official_channel") }
            try await channels.remove(id: id.lowercased(), source: context.source)
            return Response(status: .noContent)
        }
        group.get("help/verify-checks", role: .supervisor) { request, _ in
            let status = try QueryReader(request: request).enumValue("status", as: VerificationStatus.self)
            return JSONResponse(HelpViews.ListResponse(items: try await channels.checks(status: status).map(CheckView.init)))
        }
    }
}
