import Foundation
import KefuCore
import KefuMail
import KefuSafety

/// The copy of a received mail Kefu keeps when the mail carried a secret (a recovery phrase or
/// a private key in its subject, text, file names or header names): not the original bytes,
/// which would keep the secret on disk, but a plain-text rendition with the secrets replaced
/// by their markers, the addresses and thread headers it needs, and a header saying why.
/// Files are stored on their own as always; their names here are the redacted ones.
enum RedactedMail {
    /// nil when nothing in the mail is a secret (the original bytes are kept, as always).
    static func rendition(of parsed: ParsedMail, guard secrets: SecretGuard) -> [UInt8]? {
        var kinds = Set<SecretKind>()
        func clean(_ text: String) -> String {
            let redaction = secrets.redact(text)
            kinds.formUnion(redaction.kinds)
            return redaction.text
        }
        let subject = clean(parsed.subject)
        let text = clean(parsed.text)
        let files = parsed.files.map { clean($0.filename) }
        let fromName = parsed.from?.name.map(clean)
        let toNames = (parsed.to + parsed.cc).map { $0.name.map(clean) }
        guard !kinds.isEmpty else { return nil }

        func mailbox(_ address: MailAddress, name: String?) -> String {
            guard let name, !name.isEmpty else { return "<\(address.address)>" }
            return "\(encoded(name)) <\(address.address)>"
        }
        var lines: [String] = []
        if let from = parsed.from { lines.append("From: " + mailbox(from, name: fromName)) }
        let recipients = zip(parsed.to + parsed.cc, toNames).map { mailbox($0, name: $1) }
        if !recipients.isEmpty { lines.append("To: " + recipients.joined(separator: ", ")) }
        if let date = parsed.date { lines.append("Date: " + date.formatted(.iso8601)) }
        if let id = parsed.messageId { lines.append("Message-ID: <\(id)>") }
        if !parsed.inReplyTo.isEmpty { lines.append("In-Reply-To: " + parsed.inReplyTo.map { "<\($0)>" }.joined(separator: " ")) }
        if !parsed.references.isEmpty { lines.append("References: " + parsed.references.map { "<\($0)>" }.joined(separator: " ")) }
        lines.append("Subject: " + encoded(subject))
        lines.append("X-Kefu-Redacted: " + kinds.sorted().map(\.rawValue).joined(separator: ", "))
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: base64")
        var body = text
        if !files.isEmpty { body += "\n\n[" + files.joined(separator: ", ") + "]" }
        let encodedBody = Data(body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + encodedBody + "\r\n").utf8)
    }

    /// A header value as an RFC 2047 encoded word when it is not plain ASCII.
    static func encoded(_ value: String) -> String {
        let flat = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) { return flat }
        return "=?utf-8?b?" + Data(flat.utf8).base64EncodedString() + "?="
    }
}
