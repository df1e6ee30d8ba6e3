import Foundation
import Hummingbird
import KefuAccounts
import KefuCore
import KefuRealtime
import KefuStore

/// The agent's profile (2FA enrolment) and the admin page (agents, security, audit log).
struct ConsoleAccountController {
    let auth: AgentAuthService
    let store: any AgentAdminController.Repositories
    let hasher: PasswordHasher
    let resources: ConsoleResources
    let presence: any PresenceTracking

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("profile") { request, context in try profilePage(request, context, enrollment: nil) }
        group.post("presence") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            guard let status = form["status"].flatMap(PresenceStatus.init(rawValue:)), status != .offline else {
                throw APIError.validation("status", .notOneOf(["online", "away"]))
            }
            presence.setAway(context.agent.id, status == .away)
            // Back to the page the switch was on.
            var target = "/console"
            if let referer = request.headers[.referer], let url = URL(string: referer), url.path.hasPrefix("/console") {
                target = url.path + (url.query.map { "?\($0)" } ?? "")
            }
            return redirect(target)
        }
        group.post("profile/password") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let new = form["new_password"] ?? ""
            guard new == form["confirm_password"] else { return redirect("/console/profile?error=error_password_mismatch") }
            do {
                try await auth.changePassword(
                    identity: context.identity, current: form["current_password"] ?? "", new: new, address: context.peerAddress)
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return redirect("/console/profile?error=\(Self.passwordMessageKey(error))")
            }
            return redirect("/console/profile?flash=password_changed_flash")
        }
        group.post("profile/2fa/setup") { request, context in
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let enrollment = try await auth.beginEnrollment(agent: context.agent, address: context.peerAddress)
            return try profilePage(request, context, enrollment: enrollment)
        }
        group.post("profile/2fa/confirm") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            do {
                try await auth.confirmEnrollment(agent: context.agent, code: form["code"] ?? "", address: context.peerAddress)
            } catch let failure as any DomainProblem where failure.problem.code == "invalid_otp" || failure.problem.code == "too_many_attempts" {
                let error = failure.problem
                // Show a fresh QR code: the old secret stays stored until the code matches.
                let enrollment = try await auth.beginEnrollment(agent: context.agent, address: context.peerAddress)
                var response = try profilePage(request, context, enrollment: enrollment, error: ConsoleAuthController.messageKey(error))
                response.status = error.status
                return response
            }
            return redirect("/console/profile?flash=two_factor_enabled_flash")
        }
        group.post("profile/2fa/disable") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            do {
                try await auth.disableTwoFactor(
                    agent: context.agent, password: form["password"] ?? "", code: form["code"] ?? "", address: context.peerAddress)
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return redirect("/console/profile?error=\(ConsoleAuthController.messageKey(error))")
            }
            return redirect("/console/profile?flash=two_factor_disabled_flash")
        }

        group.get("canned") { request, context in
            try context.require(.supervisor)
            let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
            var values = page.base(title: page.t("canned_replies"), request: request, context: context, nav: "canned")
            values["canned"] = try await store.cannedReplies().map { ["id": $0.id, "shortcut": $0.shortcut, "body": $0.body] }
            return try resources.render("canned", values)
        }
        group.post("canned") { request, context in
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            do {
                _ = try await CannedReplyController.create(
                    shortcut: form["shortcut"] ?? "", body: form["body"] ?? "", store: store, context: context)
            } catch let failure as any DomainProblem where failure.problem.status != .forbidden {
                let error = failure.problem
                return redirect("/console/canned?error=\(error.code == "canned_reply_conflict" ? "error_canned_exists" : "error_canned_invalid")")
            }
            return redirect("/console/canned?flash=saved")
        }
        group.post("canned/{id}/delete") { request, context in
            try context.require(.supervisor)
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let id = try context.parameters.id("id", as: Identifier<CannedReplyTag>.self, thing: "canned_reply")
            try await store.deleteCannedReply(
                id: id.rawValue, audit: context.audit("canned_reply.deleted", subjectKind: "canned_reply", subjectId: id.rawValue))
            return redirect("/console/canned?flash=saved")
        }
        group.get("admin") { request, context in
            try context.require(.admin)
            return try await adminPage(request, context, oneTimePassword: nil, for: nil)
        }
        group.post("admin/agents") { request, context in
            try context.require(.admin)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let role = form["role"].flatMap(AgentRole.init(rawValue:)) ?? .agent
            let email = form["email"] ?? ""
            do {
                let (_, password) = try await AgentInvitation(store: store, hasher: hasher).invite(
                    email: email, name: form["name"] ?? "", role: role,
                    audit: context.audit("agent.invited", subjectKind: "agent", detail: ["email": EmailAddress.normalize(email)]))
                // Shown in this response only; never stored in clear or put in a URL.
                return try await adminPage(request, context, oneTimePassword: password, for: nil)
            } catch let failure as any DomainProblem {
                let error = failure.problem
                return redirect("/console/admin?error=\(error.code == "agent_conflict" ? "error_agent_exists" : "error_invalid_agent")")
            }
        }
        group.post("admin/agents/{id}/status") { request, context in
            try context.require(.admin)
            let id = try context.parameters.id("id", as: AgentID.self, thing: "agent")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            guard let status = form["status"].flatMap(AgentStatus.init(rawValue:)) else { throw APIError.validation("status", .invalid) }
            do {
                _ = try await AgentStatusChange(store: store).apply(id: id, status: status, role: nil, by: context.agent.id, source: context.source)
            } catch let failure as any DomainProblem where failure.problem.status == .conflict {
                return redirect("/console/admin?error=error_last_admin")
            }
            return redirect("/console/admin?flash=saved")
        }
        group.post("admin/agents/{id}/password-reset") { request, context in
            try context.require(.admin)
            let id = try context.parameters.id("id", as: AgentID.self, thing: "agent")
            _ = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            guard id != context.agent.id, let agent = try await store.agent(id: id) else { throw APIError.notFound("agent") }
            let password = try await AgentPasswordReset(store: store, hasher: hasher).reset(
                agent, audit: context.audit("agent.password.reset", subjectKind: "agent", subjectId: id.rawValue))
            return try await adminPage(request, context, oneTimePassword: password, for: agent)
        }
        group.post("admin/security") { request, context in
            try context.require(.admin)
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let required = form["require_2fa"] == "1"
            try await store.setSetting(
                AgentAuthService.requireTwoFactorSetting, value: required ? "true" : "false",
                audit: context.audit("settings.security", subjectKind: "settings", detail: ["requireTwoFactor": "\(required)"]))
            return redirect("/console/admin?flash=saved")
        }
    }

    /// The first problem with a password change, as a translation key.
    static func passwordMessageKey(_ error: APIError) -> String {
        guard case .validation(let fields) = error.kind, let first = fields.first else {
            return ConsoleAuthController.messageKey(error)
        }
        if first.0 == "currentPassword" { return "error_current_password" }
        return "error_password_\(first.1.code)"
    }

    private func profilePage(
        _ request: Request, _ context: AuthenticatedContext, enrollment: AgentAuthService.Enrollment?, error: String? = nil
    ) throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("profile"), request: request, context: context, nav: "profile")
        values["role_label"] = page.t("role_\(context.agent.role.rawValue)")
        if let enrollment {
            values["enrollment"] = ["qrSvg": enrollment.qrSvg, "secret": enrollment.secret, "otpauthUri": enrollment.otpauthUri]
        }
        if let error { values["error"] = page.t(error) }
        return try resources.render("profile", values)
    }

    private func adminPage(
        _ request: Request, _ context: AuthenticatedContext, oneTimePassword: String?, for resetAgent: Agent?
    ) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        var values = page.base(title: page.t("admin"), request: request, context: context, nav: "admin")
        values["tab_people"] = true
        let agents = try await store.listAgents()
        let names = Dictionary(uniqueKeysWithValues: agents.map { ($0.id.rawValue, $0.name) })
        values["agents"] = agents.map { agent -> [String: Any] in
            var row = ConsolePage.agentValues(agent, locale: page.locale, resources: resources)
            row["is_self"] = agent.id == context.agent.id
            return row
        }
        values["require_2fa"] = try await auth.requiresTwoFactor()
        values["audit"] = try await store.auditEntries(before: nil, limit: 30).map { entry -> [String: Any] in
            // Where two people were needed, the other one (who asked, who approved first) is
            // named beside the one who acted.
            let other = Self.secondPerson.first { entry.detail[$0.key] != nil }
            var row: [String: Any] = [
                "id": entry.id, "at_iso": ConsolePage.isoTime(entry.at), "at_text": ConsolePage.shortTime(entry.at),
                "actor": entry.actor.id.flatMap { names[$0] } ?? entry.actor.kind.rawValue, "action": entry.action,
                "summary": entry.detail.filter { $0.key != other?.key }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: " "),
            ]
            if let other, let id = entry.detail[other.key] {
                row["second"] = names[id] ?? id
                row["second_label"] = page.t(other.label)
            }
            return row
        }
        if let oneTimePassword { values["one_time_password"] = oneTimePassword }
        if let resetAgent { values["reset_agent"] = resetAgent.email }
        return try resources.render("admin", values)
    }

    /// Audit detail keys that name the second person of a two-person action.
    static let secondPerson: [(key: String, label: String)] = [("first_approver", "audit_first_approver"), ("requested_by", "audit_requested_by")]
}
