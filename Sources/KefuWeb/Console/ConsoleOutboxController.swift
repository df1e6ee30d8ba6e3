import Foundation
import Hummingbird
import KefuCore
import KefuMail
import KefuRealtime
import KefuStore

/// Admin → Outbox: every outgoing mail and its fate; with no relay configured, the place where
/// the demo's mail can be read.
struct ConsoleOutboxController {
    let store: any MailRepository
    let blobs: any BlobStore
    let resources: ConsoleResources
    let presence: any PresenceTracking
    let relayConfigured: Bool

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("admin/outbox") { request, context in
            try context.require(.admin)
            let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
            var values = page.base(title: page.t("outbox"), request: request, context: context, nav: "admin")
            values["tab_outbox"] = true
            values["relay_configured"] = relayConfigured
            values["mails"] = try await store.outbox(status: nil, limit: 100).map { mail -> [String: Any] in
                [
                    "id": mail.id, "subject": mail.subject, "to": mail.recipients.joined(separator: ", "),
                    "status": mail.status.rawValue, "status_label": page.t("delivery_\(mail.status.rawValue)"),
                    "kind": page.t("mail_kind_\(mail.kind.rawValue)"), "attempts": mail.attempts, "error": mail.lastError ?? "",
                    "created_iso": ConsolePage.isoTime(mail.createdAt), "created_text": ConsolePage.shortTime(mail.createdAt),
                ]
            }
            return try resources.render("outbox", values)
        }
        group.get("admin/outbox/{id}") { request, context in
            try context.require(.admin)
            let id = try context.parameters.id("id", as: Identifier<MailTag>.self, thing: "mail")
            guard let mail = try await store.outboxMail(id: id.rawValue) else { throw APIError.notFound("mail") }
            let page = ConsolePage(resources: resources, locale: ConsolePage.locale(request, agent: context.agent), presence: presence)
            var values = page.base(title: mail.subject, request: request, context: context, nav: "admin")
            values["tab_outbox"] = true
            var shown: [String: Any] = [
                "id": mail.id, "subject": mail.subject, "from": mail.mailFrom, "to": mail.recipients.joined(separator: ", "),
                "status_label": page.t("delivery_\(mail.status.rawValue)"), "error": mail.lastError ?? "", "composed": mail.isComposed,
            ]
            // A chat reply waiting for its due time has no bytes yet (ChatReplyMail.swift).
            if mail.isComposed {
                let parsed = ParsedMail.parse(Array(try await blobs.get(mail.rawSha256)))
                shown.merge([
                    "subject": parsed.subject, "from": parsed.from.map(Self.show) ?? "", "to": parsed.to.map(Self.show).joined(separator: ", "),
                    "reply_to": parsed.replyTo.map(Self.show).joined(separator: ", "), "message_id": mail.messageId, "text": parsed.text,
                    "files": parsed.files.map(\.filename).joined(separator: ", "),
                ]) { _, new in new }
            }
            values["mail"] = shown
            return try resources.render("outbox-mail", values)
        }
    }

    static func show(_ address: MailAddress) -> String {
        address.name.map { "\($0) <\(address.address)>" } ?? address.address
    }
}
