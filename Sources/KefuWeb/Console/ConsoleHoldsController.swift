import Foundation
import Hummingbird
import KefuCore
import KefuRisk
import KefuRealtime
import KefuStore

/// Console → Holds: withdrawals the risk rules held, oldest first, each with the rule that fired,
/// the account's recent movements, its sign-in history and its conversations; an agent releases
/// or rejects with a note. Supervisors set the amount above which a release takes two agents.
struct ConsoleHoldsController {
    let reviews: HoldReviews
    let store: any AuthorizationRepository & AccountRepository & AgentRepository & ConversationRepository
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("holds") { request, context in
            let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
            var values = page.base(title: page.t("holds"), request: request, context: context, nav: "holds")
            let names = Dictionary(uniqueKeysWithValues: try await store.listAgents().map { ($0.id, $0.name) })
            var rows: [[String: Any]] = []
            for hold in try await store.heldAuthorizations(accountId: nil, limit: 100) {
                rows.append(try await holdValues(hold, page: page, names: names, viewer: context.agent))
            }
            values["holds"] = rows
            let threshold = try await reviews.twoPersonFrom()
            values["two_person_from"] = threshold?.description ?? ""
            values["two_person_text"] = threshold.map { "\($0.display) USD" } ?? false
            return try resources.render("holds", values)
        }
        group.post("holds/settings") { request, context in
            try context.require(.supervisor)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            do {
                try await reviews.setTwoPersonFrom(form["two_person_from"] ?? "", by: context.agent, address: context.peerAddress)
            } catch let failure as any DomainProblem where failure.problem.code == "validation_failed" {
                return redirect("/console/holds?error=error_two_person_amount")
            }
            return redirect("/console/holds?flash=saved")
        }
        group.post("holds/{id}") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let id = context.parameters.get("id") ?? ""
            let release = form["decision"] == "release"
            guard release || form["decision"] == "reject" else { return redirect("/console/holds?error=error_generic") }
            let outcome: HoldOutcome
            do {
                outcome = try await reviews.review(id: id, by: context.agent, release: release, note: form["note"] ?? "", address: context.peerAddress)
            } catch let failure as any DomainProblem where failure.problem.code == "validation_failed" {
                return redirect("/console/holds?error=error_hold_note")
            }
            let flash: String
            switch outcome {
            case .released: flash = "flash=hold_released"
            case .rejected: flash = "flash=hold_rejected"
            case .awaitingSecondApproval: flash = "flash=hold_first_approval"
            case .sameApprover: flash = "error=error_hold_same_approver"
            case .notHeld: flash = "error=error_hold_decided"
            }
            return redirect("/console/holds?\(flash)")
        }
    }

    func holdValues(_ hold: Authorization, page: ConsolePage, names: [AgentID: String], viewer: Agent) async throws -> [String: Any] {
        let account = try await store.account(id: hold.accountId)
        let approvals = try await store.holdReviews(authorizationId: hold.id).filter { $0.action == .approve }
        var values: [String: Any] = [
            "id": hold.id, "email": account?.email ?? "?", "tier": account?.tier ?? 0,
            "kind": page.t("movement_\(hold.kind.rawValue)"), "value": hold.value.display, "amount": hold.amount, "asset": hold.asset,
            "destination": hold.destination ?? false, "created_iso": ConsolePage.isoTime(hold.createdAt),
            "created_text": ConsolePage.shortTime(hold.createdAt),
            "rules": hold.decision.holds.map { page.t("hold_rule_\($0.rawValue)") },
            "approved_by": approvals.map { names[$0.agentId] ?? "?" }.joined(separator: ", "),
            "waiting_for_second": !approvals.isEmpty,
            "i_approved": approvals.contains { $0.agentId == viewer.id },
        ]
        if let account {
            values["activity"] = try await store.authorizations(accountId: account.id, limit: 6).filter { $0.id != hold.id }.prefix(5).map {
                [
                    "at_text": ConsolePage.shortTime($0.createdAt), "at_iso": ConsolePage.isoTime($0.createdAt),
                    "kind": page.t("movement_\($0.kind.rawValue)"), "value": $0.value.display, "status": page.t("authorization_\($0.status.rawValue)"),
                ] as [String: Any]
            }
            values["events"] = ConsoleCustomerAccountController.values(try await store.accountEvents(accountId: account.id, limit: 5), page: page)
            if let contact = account.contactId {
                values["conversations"] = try await store.listConversations(filter: ConversationFilter(contactId: contact), after: nil, limit: 3)
                    .items.map { ["id": $0.id.rawValue, "number": $0.number, "subject": $0.subject ?? page.t("no_subject")] as [String: Any] }
            }
        }
        return values
    }
}
