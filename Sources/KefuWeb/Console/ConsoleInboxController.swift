import Foundation
import Hummingbird
import KefuConversations
import KefuAccounts
import KefuCore
import KefuRisk
import KefuMail
import KefuRealtime
import KefuStore

/// The inbox list and the conversation view: the pages an agent lives in.
struct ConsoleInboxController {
    typealias Repositories = ConversationController.Repositories & InboxRepository & CannedReplyRepository & WidgetSessionRepository & FeedbackRepository
        & MailRepository & AccountRepository & TwoFactorResetRepository & AuthorizationRepository & ChannelOutboxRepository
        & ServiceLevelRepository & SatisfactionRepository
    let store: any Repositories
    let conversations: ConversationService
    let resources: ConsoleResources
    let presence: any PresenceTracking
    let policies: RiskPolicySource

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("") { request, context in try await inboxPage(request, context) }
        group.get("conversations/{id}") { request, context in try await conversationPage(request, context) }

        group.post("conversations/{id}/messages") { request, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let text = form["text"] ?? ""
            let clientId = form["client_message_id"].flatMap { $0.isEmpty ? nil : $0 }
            let attachmentIds = (form["attachment_ids"] ?? "").split(separator: ",").compactMap { AttachmentID(validating: String($0)) }
            let message = NewMessage(
                direction: form["private"] == "1" ? .note : .outgoing, author: .agent(context.agent.id), text: text,
                attachmentIds: Array(attachmentIds.prefix(10)), clientMessageId: clientId)
            do {
                try message.validate()
            } catch {
                return redirect("/console/conversations/\(id)?error=error_empty_message")
            }
            do {
                let result = try await conversations.send(message, to: id)
                return redirect("/console/conversations/\(id)#m\(result.message.seq)")
            } catch ConversationError.notFound("attachment") {
                return redirect("/console/conversations/\(id)?error=error_attachment")
            }
        }

        group.post("conversations/{id}/status") { request, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            guard let status = form["status"].flatMap(ConversationStatus.init(rawValue:)) else {
                throw APIError.validation("status", .notOneOf(ConversationStatus.allCases.map(\.rawValue)))
            }
            _ = try await conversations.change(.init(status: status), of: id, by: context.source)
            return redirect("/console/conversations/\(id)")
        }

        group.post("conversations/{id}/assign") { request, context in
            let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
            let form = try await ConsoleForm.read(request, expectedCSRF: context.identity.csrfToken)
            let raw = form["assignee_id"] ?? ""
            let assignee: AgentID? = raw.isEmpty ? nil : AgentID(validating: raw)
            if !raw.isEmpty, assignee == nil { throw APIError.validation("assignee_id", .invalid) }
            _ = try await conversations.change(.init(assigneeId: .some(assignee)), of: id, by: context.source)
            return redirect("/console/conversations/\(id)")
        }
    }

    private func inboxPage(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        let query = QueryReader(request: request)
        // The inbox opens on open conversations; "all" is explicit.
        let statusParameter = query.string("status") ?? "open"
        let status = ConversationStatus(rawValue: statusParameter)
        let assigneeParameter = query.string("assignee") ?? "all"
        let inboxParameter = query.string("inbox")
        let slaParameter = query.string("sla").flatMap(SLAFilter.init(rawValue:))
        let bySLA = query.string("sort") == ConversationOrder.slaDue.rawValue
        var filter = ConversationFilter(
            status: status, inboxId: inboxParameter.flatMap(InboxID.init(validating:)), sla: slaParameter, order: bySLA ? .slaDue : .activity)
        switch assigneeParameter {
        case "mine": filter.assigneeId = .some(context.agent.id)
        case "none": filter.assigneeId = .some(nil)
        default: break
        }
        let cursor = query.string("cursor").flatMap(PageCursor.init(token:))
        let conversations = try await store.listConversations(filter: filter, after: cursor, limit: 50)
        let agents = try await store.listAgents()
        let inboxes = try await store.listInboxes()
        let agentNames = Dictionary(uniqueKeysWithValues: agents.map { ($0.id, $0.name) })

        func href(
            status: String? = nil, assignee: String? = nil, inbox: String?? = nil, sla: SLAFilter?? = nil, sortBySLA: Bool? = nil, cursor: String? = nil
        ) -> String {
            var items = [URLQueryItem(name: "status", value: status ?? statusParameter)]
            let chosenAssignee = assignee ?? assigneeParameter
            if chosenAssignee != "all" { items.append(URLQueryItem(name: "assignee", value: chosenAssignee)) }
            let chosenInbox = inbox ?? inboxParameter
            if let chosenInbox { items.append(URLQueryItem(name: "inbox", value: chosenInbox)) }
            if let chosenSLA = sla ?? slaParameter { items.append(URLQueryItem(name: "sla", value: chosenSLA.rawValue)) }
            if sortBySLA ?? bySLA { items.append(URLQueryItem(name: "sort", value: ConversationOrder.slaDue.rawValue)) }
            if let cursor { items.append(URLQueryItem(name: "cursor", value: cursor)) }
            var components = URLComponents()
            components.path = "/console"
            components.queryItems = items
            return components.string ?? "/console"
        }

        // One query for all the tabs' counts (four COUNTs were a good part of the page).
        let counts = try await store.countConversationsByStatus(filter: filter)
        var statusTabs: [[String: Any]] = []
        for value in ["open", "pending", "snoozed", "resolved", "all"] {
            var tab: [String: Any] = [
                "value": value, "label": page.t(value == "all" ? "all" : "status_\(value)"), "href": href(status: value),
                "current": value == statusParameter,
            ]
            if let status = ConversationStatus(rawValue: value), let count = counts[status], count > 0 { tab["count"] = count }
            statusTabs.append(tab)
        }
        let assigneeTabs: [[String: Any]] = [("all", "all"), ("mine", "mine"), ("none", "unassigned")].map { value, key in
            ["label": page.t(key), "href": href(assignee: value), "current": value == assigneeParameter]
        }
        let slaTabs: [[String: Any]] = [(nil, "all"), (SLAFilter.due, "sla_running"), (.breached, "sla_breached")].map { value, key in
            ["label": page.t(key), "href": href(sla: .some(value)), "current": value == slaParameter]
        }
        let sortTabs: [[String: Any]] = [(false, "sort_activity"), (true, "sort_sla_due")].map { value, key in
            ["label": page.t(key), "href": href(sortBySLA: value), "current": value == bySLA]
        }
        var inboxTabs: [[String: Any]] = [["label": page.t("all_inboxes"), "href": href(inbox: .some(nil)), "current": inboxParameter == nil]]
        inboxTabs += inboxes.map { inbox in
            ["label": inbox.name, "href": href(inbox: .some(inbox.id.rawValue)), "current": inboxParameter == inbox.id.rawValue]
        }

        let contacts = try await store.contacts(ids: conversations.items.map(\.contactId))
        var rows: [[String: Any]] = []
        for conversation in conversations.items {
            let contact = contacts[conversation.contactId]
            let activity = conversation.lastMessageAt ?? conversation.createdAt
            rows.append([
                "id": conversation.id.rawValue, "number": conversation.number,
                "contact_name": contact?.name ?? contact?.email ?? page.t("unknown_customer"),
                "subject": conversation.subject ?? page.t("no_subject"), "status": conversation.status.rawValue,
                "status_label": page.t("status_\(conversation.status.rawValue)"),
                "assignee_name": conversation.assigneeId.flatMap { agentNames[$0] } ?? "",
                "activity_iso": ConsolePage.isoTime(activity), "activity_text": ConsolePage.shortTime(activity),
                "sla": page.slaBadge(conversation.sla, now: Date()) ?? false,
                "secret_exposed": conversation.secretExposedAt != nil,
            ])
        }

        var values = page.base(title: page.t("inbox"), request: request, context: context, nav: "inbox")
        values["status_tabs"] = statusTabs
        values["assignee_tabs"] = assigneeTabs
        values["inbox_tabs"] = inboxTabs
        values["sla_tabs"] = slaTabs
        values["sort_tabs"] = sortTabs
        values["has_inboxes"] = inboxes.count > 1
        values["conversations"] = rows
        if let next = conversations.nextCursor { values["next_href"] = href(cursor: next.token) }
        if cursor != nil { values["first_href"] = href() }
        return try resources.render("inbox", values)
    }

    private func conversationPage(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
        let id = try context.parameters.id("id", as: ConversationID.self, thing: "conversation")
        guard let conversation = try await store.conversation(id: id) else { throw APIError.notFound("conversation") }
        let contact = try await store.contact(id: conversation.contactId)
        let agents = try await store.listAgents()
        let agentNames = Dictionary(uniqueKeysWithValues: agents.map { ($0.id.rawValue, $0.name) })
        let inbox = try await store.inbox(id: conversation.inboxId)
        let contactName = contact?.name ?? contact?.email ?? page.t("unknown_customer")

        // The whole history, in pages of 500, oldest first.
        var messages: [Message] = []
        var since: Int64 = 0
        while true {
            let batch = try await store.messages(conversationId: id, since: since, limit: 500)
            messages += batch
            guard batch.count == 500, let last = batch.last else { break }
            since = last.seq
        }
        // Mail: what each received message was (original, warnings, robots) and how each reply fared.
        let isEmail = inbox?.kind == .email
        let mails = isEmail ? try await store.mails(conversationId: id) : []
        let mailByMessage = Dictionary(mails.compactMap { mail in mail.messageRef.map { ($0, mail) } }, uniquingKeysWith: { first, _ in first })
        let replies = messages.filter { $0.direction == .outgoing }.map(\.id)
        let deliveries = try await store.outbox(messageRefs: replies)
        // Other channels' replies (Telegram): how each fared in that channel's outbox.
        let channelDeliveries = isEmail || inbox?.kind == .webchat ? [:] : try await store.deliveries(messageRefs: replies)
        let rows: [[String: Any]] = messages.map { message in
            let author: String
            switch message.author.kind {
            case .contact: author = contactName
            case .agent:
                author = message.author.id == context.agent.id.rawValue ? page.t("you") : (message.author.id.flatMap { agentNames[$0] } ?? "")
            case .system: author = page.t("system_event")
            }
            var text = message.direction == .system ? describeEvent(message.text, page: page, agentNames: agentNames) : message.text
            var mailValues: [String: Any] = [:]
            if let mail = mailByMessage[message.id] {
                // The customer's quoted history is folded away (still one click from view).
                let split = QuotedHistory.split(text)
                text = split.reply
                if !split.quoted.isEmpty { mailValues["quoted"] = split.quoted }
                mailValues["mail_id"] = mail.id
                if !mail.warnings.isEmpty { mailValues["mail_warnings"] = mail.warnings.joined(separator: "; ") }
                if let automatic = mail.automatic { mailValues["automatic"] = page.t("mail_automatic_\(automatic)") }
            }
            if let delivery = deliveries[message.id] {
                mailValues["delivery"] = page.t("delivery_\(delivery.status.rawValue)")
                mailValues["delivery_status"] = delivery.status.rawValue
                if let error = delivery.lastError, delivery.status != .sent { mailValues["delivery_error"] = error }
            }
            if let delivery = channelDeliveries[message.id], let kind = inbox?.kind {
                mailValues["delivery"] = page.t("channel_delivery_\(delivery.status.rawValue)")
                    .replacingOccurrences(of: "{channel}", with: page.t("inbox_kind_\(kind.rawValue)"))
                mailValues["delivery_status"] = delivery.status.rawValue
                if let error = delivery.lastError, delivery.status != .sent { mailValues["delivery_error"] = error }
            }
            return mailValues.merging([
                "has_attachments": !message.attachments.isEmpty,
                "attachments": message.attachments.map { attachment -> [String: Any] in
                    ["id": attachment.id.rawValue, "filename": attachment.filename, "is_image": attachment.contentType.hasPrefix("image/")]
                },
                "seq": message.seq, "direction": message.direction.rawValue, "author_name": author, "text": text,
                "is_note": message.direction == .note, "agent_code": message.agentCode.map(AgentCode.display) ?? false,
                "is_read": message.direction == .outgoing && message.seq <= conversation.contactReadSeq, "created_iso": ConsolePage.isoTime(message.createdAt),
                "created_text": ConsolePage.shortTime(message.createdAt),
            ]) { mine, _ in mine }
        }

        var values = page.base(title: "#\(conversation.number)", request: request, context: context, nav: "inbox")
        values["conversation"] = [
            "id": conversation.id.rawValue, "number": conversation.number, "status": conversation.status.rawValue,
            "priority": conversation.priority.rawValue, "labels": conversation.labels,
        ] as [String: Any]
        values["subject"] = conversation.subject ?? page.t("no_subject")
        values["status_label"] = page.t("status_\(conversation.status.rawValue)")
        values["priority_label"] = page.t("priority_\(conversation.priority.rawValue)")
        values["contact"] = ["email": contact?.email ?? false, "locale": contact?.locale ?? false] as [String: Any]
        values["contact_name"] = contactName
        let claims = try await store.widgetClaims(contactId: conversation.contactId)
        // Absent claims are `false`, not "": an empty string still opens a mustache section.
        values["claims"] = ["walletUid": claims.walletUid ?? false, "email": claims.email ?? false] as [String: Any]
        // The customer's wallet account, when they have one: what agents explain and act on.
        if let account = try await store.account(contactId: conversation.contactId) {
            let events = try await store.accountEvents(accountId: account.id, limit: 8)
            var panel: [String: Any] = [
                "email": account.email, "verified": account.emailVerified, "tier": account.tier, "totp": account.totpEnabled,
                "events": ConsoleCustomerAccountController.values(events, page: page),
            ]
            if let lock = account.withdrawalsLockedUntil, lock > Date() {
                panel["locked_iso"] = ConsolePage.isoTime(lock)
                panel["locked_text"] = ConsolePage.shortTime(lock)
            }
            let reset = try await store.latestTwoFactorReset(accountId: account.id)
            if let reset {
                panel["two_factor_reset"] = ConsoleCustomerAccountController.values(
                    reset, names: ConsoleCustomerAccountController.names(agents), viewer: context.agent, page: page)
            }
            // Limits: what the customer may still move, with the explanation agents paste.
            let limits = try await LimitsSummary.load(account, store: store, policy: try await policies.current(), now: Date())
            var limitValues = limits.values(page)
            limitValues["explanation"] = limits.explanation(locale: account.locale ?? contact?.locale)
            panel["limits"] = limitValues
            // A new request only when 2FA is on and none is open.
            panel["can_request_reset"] = account.totpEnabled && !(reset?.status.isOpen ?? false)
            values["customer_account"] = panel
            values["return_to"] = "/console/conversations/\(conversation.id)"
        }
        values["inbox_name"] = inbox?.name ?? ""
        values["secret_exposed"] = conversation.secretExposedAt != nil
        values["messages"] = rows
        values["can_resolve"] = conversation.status != .resolved
        values["can_reopen"] = conversation.status == .resolved || conversation.status == .snoozed
        values["can_pend"] = conversation.status == .open
        values["agents"] = agents.filter { $0.status == .active }.map { agent -> [String: Any] in
            ["id": agent.id.rawValue, "name": agent.name, "selected": agent.id == conversation.assigneeId]
        }
        values["survey_panel"] = page.surveyPanel(
            try await store.surveys(conversationId: id), conversation: conversation, canSend: context.agent.role >= .supervisor)
        values["feedback_posts"] = try await store.feedbackPosts(linkedTo: id).map {
            ["id": $0.id.rawValue, "number": $0.number, "title": $0.title, "status_label": page.t("feedback_status_\($0.status.rawValue)")]
        }
        values["sla_panel"] =
            page.slaPanel(
                timers: try await store.slaTimers(conversationId: id), events: try await store.slaEvents(conversationId: id), now: Date()) ?? false
        values["last_seq"] = conversation.lastSeq
        values["contact_read_seq"] = conversation.contactReadSeq
        let canned = try await store.cannedReplies().map { ["shortcut": $0.shortcut, "body": $0.body] }
        values["canned_json"] = String(decoding: try JSONEncoder.api.encode(canned), as: UTF8.self)
        values["created_iso"] = ConsolePage.isoTime(conversation.createdAt)
        values["created_text"] = ConsolePage.shortTime(conversation.createdAt)
        // A fresh id per rendered form: a double submit or a resend after a dropped response stores once.
        values["client_message_id"] = "console-\(RandomToken.make(bytes: 12))"
        return try resources.render("conversation", values)
    }

    /// A system message in words, for agents.
    private func describeEvent(_ text: String, page: ConsolePage, agentNames: [String: String]) -> String {
        switch SystemEvent(storedText: text) {
        case .mailFailed(_, let reason):
            return "\(page.t("mail_failed_event")): \(reason)"
        case .deliveryFailed(_, let reason):
            return "\(page.t("delivery_failed_event")): \(reason)"
        case .edited(_, let text):
            return "\(page.t("edited_event")): \(text)"
        case .changed(let status, let assignee):
            var parts: [String] = []
            if let status { parts.append("\(page.t("status")): \(page.t("status_\(status.rawValue)"))") }
            if let assignee {
                parts.append("\(page.t("assignee")): \(assignee.map { agentNames[$0.rawValue] ?? $0.rawValue } ?? page.t("nobody"))")
            }
            return parts.joined(separator: " · ")
        case .slaBreached(let metric, let raised):
            let missed = "\(page.t("sla_breached_event")): \(page.t("sla_metric_\(metric.rawValue)"))"
            return raised.map { "\(missed) · \(page.t("priority")): \(page.t("priority_\($0.rawValue)"))" } ?? missed
        case .surveyRequested:
            return page.t("csat_requested_event")
        case .surveyAnswered(let rating):
            return "\(page.t("csat_answered_event")): \(ConsolePage.stars(rating)) (\(rating)/5)"
        case .secretRedacted(let kinds):
            return page.t("secret_redacted_event").replacingOccurrences(
                of: "{kinds}", with: kinds.map { page.t("secret_kind_\($0.rawValue)") }.joined(separator: page.t("secret_kinds_and")))
        case .unknown(let text):
            return text
        }
    }
}
