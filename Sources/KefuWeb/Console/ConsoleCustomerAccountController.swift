import Foundation
import Hummingbird
import KefuCore
import KefuStore

/// What an agent may do to a customer's account from a conversation: send a reset link (never
/// set a password) and sign every device out. Each action is audited and kept in the account's
/// security history.
struct ConsoleCustomerAccountController {
    let service: AccountService
    let store: any ConversationRepository & AccountRepository & AuditRepository

    func account(for context: AuthenticatedContext) async throws -> (ConversationID, Account) {
        let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
        guard let conversation = try await store.conversation(id: id), let account = try await store.account(contactId: conversation.contactId)
        else { throw APIError.notFound("account") }
        return (id, account)
    }

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("conversations/{id}/account/reset-link") { request, context in
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let (id, account) = try await account(for: context)
            try await service.sendReset(account, userAgent: "agent:\(context.agent.email)", address: context.peerAddress)
            try await store.appendAudit(context.audit("account.reset_link_sent", subjectKind: "account", subjectId: account.id.rawValue))
            return redirect("/console/conversations/\(id)?flash=account_reset_link_sent")
        }
        group.post("conversations/{id}/account/revoke-sessions") { request, context in
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let (id, account) = try await account(for: context)
            try await store.revokeAccountSessions(
                accountId: account.id, except: nil,
                event: AccountEvent(
                    kind: .sessionsRevoked, detail: ["by": context.agent.id.rawValue], clientAddress: context.peerAddress, createdAt: Date()))
            try await store.appendAudit(context.audit("account.sessions_revoked", subjectKind: "account", subjectId: account.id.rawValue))
            return redirect("/console/conversations/\(id)?flash=account_sessions_revoked")
        }
    }
}
