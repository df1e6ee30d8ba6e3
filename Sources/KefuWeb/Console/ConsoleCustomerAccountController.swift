import Foundation
import Hummingbird
import KefuAccounts
import KefuCore
import KefuRealtime
import KefuStore

/// What staff may do to a customer's account from a conversation: send a reset link (never
/// set a password), sign every device out, and ask for a 2FA reset, which another supervisor
/// approves on the 2FA resets page. Each action is audited and kept in the account's history.
struct ConsoleCustomerAccountController {
    let service: AccountService
    let resets: TwoFactorResets
    let store: any ConversationRepository & AccountRepository & AuditRepository & TwoFactorResetRepository & AgentRepository
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func account(for context: AuthenticatedContext) async throws -> (ConversationID, Account) {
        let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
        guard let conversation = try await store.conversation(id: id), let account = try await store.account(contactId: conversation.contactId)
        else { throw APIError.notFound("account") }
        return (id, account)
    }

    /// Problems a form can cause, as translation keys for the page it returns to.
    static func errorKey(_ error: APIError) -> String {
        switch error.code {
        case "validation_failed": "error_two_factor_reset_reason"
        case "two_factor_conflict": "error_two_factor_off"
        case "two_factor_reset_conflict": "error_two_factor_reset_taken"
        case "approval_by_requester": "error_approval_by_requester"
        case "forbidden": "error_forbidden"
        default: "error_generic"
        }
    }

    /// Only paths inside the console are followed back to.
    static func back(_ target: String?, fallback: String) -> String {
        guard let target, target.hasPrefix("/console/"), !target.contains("//"), !target.contains("\\") else { return fallback }
        return target
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
        group.post("conversations/{id}/account/two-factor-reset") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let (id, account) = try await account(for: context)
            do {
                _ = try await resets.request(
                    account, reason: form["reason"] ?? "", by: context.agent, conversationId: id, address: context.peerAddress)
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return redirect("/console/conversations/\(id)?error=\(Self.errorKey(error))")
            }
            return redirect("/console/conversations/\(id)?flash=two_factor_reset_requested")
        }
        group.post("two-factor-resets/{resetId}/{decision}") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let resetId = context.parameters.get("resetId") ?? ""
            let decision = context.parameters.get("decision") ?? ""
            guard decision == "approve" || decision == "reject", resetId.count <= 64 else { throw APIError.routeNotFound }
            let back = Self.back(form["return"], fallback: "/console/two-factor-resets")
            let joiner = back.contains("?") ? "&" : "?"
            do {
                _ = try await resets.decide(id: resetId, approve: decision == "approve", by: context.agent, address: context.peerAddress)
            } catch let failure as any DomainProblem where failure.problem.code != "two_factor_reset_not_found" {
                let error = failure.problem
                return redirect("\(back)\(joiner)error=\(Self.errorKey(error))")
            }
            return redirect("\(back)\(joiner)flash=two_factor_reset_\(decision == "approve" ? "approved" : "rejected")")
        }
        group.get("two-factor-resets") { request, context in
            try context.require(.supervisor)
            let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
            var values = page.base(title: page.t("two_factor_resets"), request: request, context: context, nav: "resets")
            let names = Self.names(try await store.listAgents())
            let open = try await store.twoFactorResets(statuses: [.awaitingApproval, .scheduled], limit: 200)
            var rows: [[String: Any]] = []
            for reset in open {
                var row = Self.values(reset, names: names, viewer: context.agent, page: page)
                row["account_email"] = try await store.account(id: reset.accountId)?.email ?? ""
                rows.append(row)
            }
            values["resets"] = rows
            values["return_to"] = "/console/two-factor-resets"
            return try resources.render("two-factor-resets", values)
        }
    }

    /// An account's security history as the console shows it (the account panel, Holds).
    static func values(_ events: [AccountEvent], page: ConsolePage) -> [[String: Any]] {
        events.map { event in
            [
                "label": page.t("account_event_\(event.kind.rawValue)"), "address": event.clientAddress ?? "",
                "at_iso": ConsolePage.isoTime(event.createdAt), "at_text": ConsolePage.shortTime(event.createdAt),
            ]
        }
    }

    static func names(_ agents: [Agent]) -> [AgentID: String] {
        Dictionary(uniqueKeysWithValues: agents.map { ($0.id, $0.name) })
    }

    /// A reset as the console shows it (sidebar and the supervisors' page).
    static func values(_ reset: TwoFactorReset, names: [AgentID: String], viewer: Agent, page: ConsolePage) -> [String: Any] {
        var values: [String: Any] = [
            "id": reset.id, "status": reset.status.rawValue, "status_label": page.t("two_factor_reset_\(reset.status.rawValue)"),
            "reason": reset.reason, "requested_by": names[reset.requestedBy] ?? "?", "decided_by": reset.decidedBy.flatMap { names[$0] } ?? "",
            "created_iso": ConsolePage.isoTime(reset.createdAt), "created_text": ConsolePage.shortTime(reset.createdAt),
            "is_open": reset.status.isOpen,
            // Four eyes: the requester sees the request but cannot decide it.
            "can_approve": reset.status == .awaitingApproval && viewer.role >= .supervisor && viewer.id != reset.requestedBy,
            "can_reject": reset.status.isOpen && viewer.role >= .supervisor && viewer.id != reset.requestedBy,
            "conversation_id": reset.conversationId?.rawValue ?? false,
        ]
        if let at = reset.appliesAt {
            values["applies_iso"] = ConsolePage.isoTime(at)
            values["applies_text"] = ConsolePage.shortTime(at)
        }
        return values
    }
}
