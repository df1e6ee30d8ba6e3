import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@Suite struct AgentStoreTests {
    @Test(arguments: TestBackend.available)
    func anInboxKeepsItsPrechatFormAndAnAgentItsPicture(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let chat = try await store.createInbox(name: "Web", kind: .webchat, audit: nil)
            let mail = try await store.createInbox(name: "Mail", kind: .email, audit: nil)
            // Until an admin changes it, a webchat inbox asks the standard form; mail asks none.
            #expect(try await store.inbox(id: chat.id)?.prechatForm == .standard)
            #expect(try await store.inbox(id: mail.id)?.prechatForm == nil)
            var form = PrechatForm.standard
            form.email = .required
            form.topics = [.init(key: "kyc", label: .init(en: "Verification", zhCN: "身份认证"))]
            let changed = try await store.updateInbox(
                id: chat.id, name: nil, prechatForm: form,
                audit: AuditEvent(actor: .system, action: "inbox.updated", subjectKind: "inbox", subjectId: chat.id.rawValue))
            #expect(changed.name == "Web")
            #expect(changed.prechatForm == form)
            let renamed = try await store.updateInbox(id: chat.id, name: "官网客服", prechatForm: nil, audit: nil)
            #expect(renamed.prechatForm == form)
            #expect(try await store.listInboxes().first { $0.id == chat.id } == renamed)
            #expect(try await store.auditEntries(before: nil, limit: 5).first?.action == "inbox.updated")
            await #expect(throws: StoreError.notFound("inbox")) {
                try await store.updateInbox(id: .generate(), name: "x", prechatForm: nil, audit: nil)
            }

            let agent = try await store.createAgent(email: "mei@example.com", name: "Mei", role: .agent, passwordHash: "h", mustChangePassword: false, audit: nil)
            #expect(agent.avatarUrl == nil)
            let sha = String(repeating: "c0", count: 32)
            let pictured = try await store.setAvatar(id: agent.id, avatar: AgentAvatar(sha256: sha, contentType: "image/webp"), audit: nil)
            #expect(pictured.avatarUrl == AgentAvatar.url(agentId: agent.id, sha256: sha))
            #expect(try await store.avatar(agentId: agent.id) == AgentAvatar(sha256: sha, contentType: "image/webp"))
            #expect(try await store.agent(id: agent.id)?.avatarUrl == pictured.avatarUrl)
            let plain = try await store.setAvatar(id: agent.id, avatar: nil, audit: nil)
            #expect(plain.avatarUrl == nil)
            #expect(try await store.avatar(agentId: agent.id) == nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func emailsAreUniqueWhateverTheirCase(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let agent = try await store.createAgent(email: " Mei@Example.com ", name: "Mei", role: .admin, passwordHash: "h", mustChangePassword: false, audit: nil)
            #expect(agent.email == "mei@example.com")
            await #expect(throws: StoreError.conflict("an agent with this email exists")) {
                try await store.createAgent(email: "MEI@example.com", name: "Other", role: .agent, passwordHash: "h", mustChangePassword: false, audit: nil)
            }
            let found = try await store.credentials(email: "MEI@EXAMPLE.COM")
            #expect(found?.0.id == agent.id)
            #expect(found?.1.passwordHash == "h")
            #expect(try await store.countAgents() == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func aTOTPStepIsClaimedOnceUnderParallelLogins(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let agent = try await store.createAgent(email: "ops@example.com", name: "Ops", role: .agent, passwordHash: "h", mustChangePassword: false, audit: nil)
            try await store.setTOTP(id: agent.id, sealedSecret: "sealed", enabled: true, audit: nil)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 { group.addTask { try await store.claimTOTPStep(id: agent.id, step: 1000) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            #expect(try await store.claimTOTPStep(id: agent.id, step: 999) == false)
            #expect(try await store.claimTOTPStep(id: agent.id, step: 1001) == true)
        }
    }

    @Test(arguments: TestBackend.available)
    func sessionsExpireAreRevokedAndDieWithADisabledAgent(_ backend: TestBackend) async throws {
        try await withTestStore(backend) { store in
            let agent = try await store.createAgent(email: "s@example.com", name: "S", role: .agent, passwordHash: "h", mustChangePassword: false, audit: nil)
            let now = Date()
            _ = try await store.createSession(
                agentId: agent.id, tokenHash: "live", kind: "api", csrfToken: nil, userAgent: "curl", clientAddress: "127.0.0.1",
                expiresAt: now.addingTimeInterval(3600))
            _ = try await store.createSession(
                agentId: agent.id, tokenHash: "old", kind: "api", csrfToken: nil, userAgent: nil, clientAddress: nil,
                expiresAt: now.addingTimeInterval(-1))
            #expect(try await store.session(tokenHash: "live", now: now)?.agent.id == agent.id)
            #expect(try await store.session(tokenHash: "old", now: now) == nil)
            #expect(try await store.session(tokenHash: "unknown", now: now) == nil)
            try await store.revokeSession(tokenHash: "live")
            #expect(try await store.session(tokenHash: "live", now: now) == nil)

            _ = try await store.createSession(
                agentId: agent.id, tokenHash: "second", kind: "console", csrfToken: "c", userAgent: nil, clientAddress: nil,
                expiresAt: now.addingTimeInterval(3600))
            _ = try await store.updateAgent(id: agent.id, status: .disabled, role: nil, chatCapacity: nil, audit: nil)
            #expect(try await store.session(tokenHash: "second", now: now) == nil)
        }
    }
}
