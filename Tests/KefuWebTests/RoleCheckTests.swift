import Foundation
import HTTPTypes
import HummingbirdTesting
import KefuCore
import KefuStore
import Testing

@testable import KefuAccounts
@testable import KefuWeb

/// Role checks come before anything else a route reads: an agent posting a broken body to an
/// admin route is told 403, not what the body should have looked like (issue 11, item 12).
@Suite struct RoleCheckTests {
    /// Every role-restricted API route and the role it needs. A new restricted route belongs here
    /// too: the first test fails until it is.
    static let restricted: [String: AgentRole] = [
        "get /api/v1/agents": .supervisor,
        "post /api/v1/agents": .admin,
        "patch /api/v1/agents/{id}": .admin,
        "post /api/v1/agents/{id}/password-reset": .admin,
        "get /api/v1/settings/security": .admin,
        "patch /api/v1/settings/security": .admin,
        "get /api/v1/audit": .admin,
        "post /api/v1/canned-replies": .supervisor,
        "delete /api/v1/canned-replies/{id}": .supervisor,
        "post /api/v1/inboxes": .admin,
        "patch /api/v1/inboxes/{id}": .admin,
        "post /api/v1/teams": .admin,
        "get /api/v1/outbox": .admin,
        "get /api/v1/outbox/{id}/raw": .admin,
        "patch /api/v1/accounts/{id}": .supervisor,
        "get /api/v1/risk/policy": .supervisor,
        "put /api/v1/risk/policy": .admin,
        "get /api/v1/webhooks": .admin,
        "post /api/v1/webhooks": .admin,
        "get /api/v1/webhooks/{id}": .admin,
        "patch /api/v1/webhooks/{id}": .admin,
        "delete /api/v1/webhooks/{id}": .admin,
        "post /api/v1/webhooks/{id}/rotate-secret": .admin,
        "get /api/v1/webhooks/{id}/deliveries": .admin,
        "post /api/v1/webhooks/{id}/deliveries/{delivery}/replay": .admin,
        "post /api/v1/webhooks/{id}/replay-failed": .admin,
        "post /api/v1/announcements": .supervisor,
        "post /api/v1/help/official-channels": .admin,
        "delete /api/v1/help/official-channels/{id}": .admin,
        "get /api/v1/sla/policies": .supervisor,
        "post /api/v1/sla/policies": .admin,
        "get /api/v1/sla/policies/{id}": .supervisor,
        "put /api/v1/sla/policies/{id}": .admin,
        "delete /api/v1/sla/policies/{id}": .admin,
        "get /api/v1/sla/calendars": .supervisor,
        "post /api/v1/sla/calendars": .admin,
        "post /api/v1/sla/calendars/holiday-preview": .admin,
        "get /api/v1/sla/calendars/{id}": .supervisor,
        "put /api/v1/sla/calendars/{id}": .admin,
        "delete /api/v1/sla/calendars/{id}": .admin,
        "post /api/v1/conversations/{id}/csat-survey": .supervisor,
        "get /api/v1/csat/follow-ups": .supervisor,
        "post /api/v1/csat/follow-ups/{id}/done": .supervisor,
        "get /api/v1/reports/overview": .supervisor,
        "patch /api/v1/feedback/posts/{id}": .supervisor,
        "post /api/v1/feedback/posts/{id}/merge": .supervisor,
        "post /api/v1/feedback/comments/{id}/hide": .supervisor,
        "get /api/v1/feedback/reports": .supervisor,
        "post /api/v1/feedback/reports/{id}/resolve": .supervisor,
        "get /api/v1/reports/conversations.csv": .supervisor,
        "get /api/v1/reports/summary.csv": .supervisor,
        "get /api/v1/help/verify-checks": .supervisor,
        "get /api/v1/impersonation-reports": .supervisor,
        "post /api/v1/impersonation-reports/{id}/review": .supervisor,
        "get /api/v1/impersonation-reports/{id}/screenshot": .supervisor,
        "get /api/v1/announcements/{id}": .supervisor,
        "patch /api/v1/announcements/{id}": .supervisor,
        "post /api/v1/announcements/{id}/publish": .supervisor,
        "post /api/v1/announcements/{id}/unpublish": .supervisor,
    ]

    @Test func theRouterDeclaresEveryRestrictedRouteWithItsRole() async throws {
        try await TestApp.run { _, app in
            let declared = Dictionary(uniqueKeysWithValues: app.catalog.restricted.map { ("\($0.key.method) \($0.key.path)", $0.value) })
            #expect(declared == Self.restricted)
        }
    }

    /// Bodies, ids and query parameters that are all wrong: whoever may call the route is told
    /// so (400/404), whoever may not is told 403 and nothing else.
    @Test func aLowerRoleIsRefusedBeforeTheBodyPathOrQueryIsRead() async throws {
        try await TestApp.run { client, app in
            _ = try await AgentInvitation(store: app.store, hasher: PasswordHasher(cost: 4)).invite(
                email: "supervisor@kefu.test", name: "Supervisor", role: .supervisor, password: "quiet harbour lanterns", audit: nil)
            let tokens: [AgentRole: String] = [
                .agent: try await client.login(TestApp.agentEmail, TestApp.agentPassword),
                .supervisor: try await client.login("supervisor@kefu.test", "quiet harbour lanterns"),
                .admin: try await client.login(),
            ]
            let brokenBodies = [#"{"name": 7, "role": "boss", "tiers": "#, #"{"email":1,"requireTwoFactor":"yes","tier":"high"}"#]
            for (route, needed) in Self.restricted.sorted(by: { $0.key < $1.key }) {
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(rawValue: parts[0].uppercased())!
                let path = parts[1].replacingOccurrences(of: "{id}", with: "not-an-id") + (method == .get ? "?limit=0&status=bogus&before=0" : "")
                let bodies: [String?] = method == .get ? [nil] : brokenBodies
                for body in bodies {
                    for (role, token) in tokens {
                        let response = try await client.json(method, path, token: token, body: body)
                        if role < needed {
                            #expect(response.status == .forbidden && response.code == "forbidden", "\(role) \(route) \(body ?? ""): \(response.status) \(response.text)")
                        } else {
                            #expect(response.status != .forbidden, "\(role) \(route): \(response.text)")
                            if method != .get {
                                #expect([.badRequest, .notFound].contains(response.status), "\(role) \(route) \(body ?? ""): \(response.status) \(response.text)")
                            }
                        }
                    }
                }
            }
        }
    }
}
