import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@testable import KefuWeb

/// The admin page's audit log names both people of a two-person action.
@Suite struct AuditViewTests {
    @Test func aTwoPersonReleaseShowsBothPeople() async throws {
        try await TestApp.run { client, app in
            let first = try await app.store.createAgent(
                email: "first.approver@kefu.test", name: "Wang Fang", role: .supervisor, passwordHash: "h", mustChangePassword: false, audit: nil)
            let second = try await app.store.createAgent(
                email: "second.approver@kefu.test", name: "Zhao Lei", role: .supervisor, passwordHash: "h", mustChangePassword: false, audit: nil)
            try await app.store.appendAudit(
                AuditEvent(
                    actor: .agent(second.id), action: "authorization.hold_release", subjectKind: "authorization", subjectId: "auth-1",
                    detail: ["note": "Checked.", "first_approver": first.id.rawValue]))
            var browser = ConsoleBrowser(client: client)
            try await browser.signIn()
            let page = try await browser.get("/console/admin").text
            let row = try #require(page.components(separatedBy: "<tr data-audit-id=").first { $0.contains("authorization.hold_release") })
            #expect(row.contains("Zhao Lei<br><small>first approval: Wang Fang</small>"))
            #expect(!row.contains(first.id.rawValue))
        }
    }
}
