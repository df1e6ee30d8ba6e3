import Foundation
import KefuCore
import KefuSafety

/// Recovery phrases and private keys in what customers write never reach the store: every
/// customer message of every channel passes `SecretGuard` before it is written (the stored text
/// holds a marker in the secret's place), and then the agents are warned in the history, the
/// event is audited without the secret, and the customer is told at once, in their language,
/// through their own channel.
extension ConversationService {
    /// A customer's message with its secrets taken out; agents' and system messages are theirs.
    func redactIncoming(_ message: inout NewMessage) -> Set<SecretKind> {
        guard message.direction == .incoming else { return [] }
        return redact(&message.text)
    }

    func redact(_ text: inout String) -> Set<SecretKind> {
        let redaction = secrets.redact(text)
        guard redaction.found else { return [] }
        text = redaction.text
        return redaction.kinds
    }

    func redact(_ text: inout String?) -> Set<SecretKind> {
        guard var value = text else { return [] }
        defer { text = value }
        return redact(&value)
    }

    /// A subject: when it was cut from the message's first line (the widget, the API channel and
    /// Telegram cut one), it is cut again from the stored text, since a phrase cut short is no
    /// longer one the check would see; otherwise it is checked on its own.
    func recut(_ subject: String, from original: String, stored: String, found: inout Set<SecretKind>) -> String {
        let firstLine = original.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let cut = subject.trimmingCharacters(in: .whitespaces)
        if !found.isEmpty, !cut.isEmpty, firstLine.hasPrefix(cut) || original.hasPrefix(subject) {
            let storedLine = stored.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            return String(storedLine.prefix(max(cut.count, 1)))
        }
        var clean = subject
        found.formUnion(redact(&clean))
        return clean
    }

    /// After `message` lost a secret: the history line agents see, the audit line, and (unless
    /// the sender is a robot) the customer's warning as a reply through their channel, in the
    /// language the channel named, else the contact's. Each once per message, whatever retries;
    /// none of it carries the secret.
    func secretTakenOut(_ kinds: Set<SecretKind>, from message: Message, contact: ContactID, locale: String? = nil, tellCustomer: Bool = true) async {
        let conversation = message.conversationId
        _ = try? await record(.secretRedacted(kinds: kinds.sorted()), in: conversation, clientMessageId: "secret:\(message.id)")
        try? await store.markSecretExposed(conversationId: conversation, at: message.createdAt)
        try? await store.appendAudit(
            AuditEvent(
                actor: .system, action: "message.secret_redacted", subjectKind: "conversation", subjectId: conversation.rawValue,
                detail: ["message": message.id.rawValue, "kinds": kinds.sorted().map(\.rawValue).joined(separator: ",")]))
        guard tellCustomer else { return }
        var language = locale
        if language == nil { language = try? await store.contact(id: contact)?.locale }
        _ = try? await send(
            NewMessage(direction: .outgoing, author: .system, text: secrets.warning(for: kinds, locale: language), clientMessageId: "secret-warning:\(message.id)"),
            to: conversation)
    }
}
