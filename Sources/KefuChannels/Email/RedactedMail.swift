import Foundation
import KefuCore
import KefuMail
import KefuSafety

/// What Kefu keeps of a received mail that carried a secret (a recovery phrase or a private key
/// anywhere in it: subject, text, the parts it does not show, text files, forwarded mails, file
/// and header names): not the original bytes, which would keep the secret on disk, but a
/// plain-text rendition with the secrets replaced by their markers, the addresses and thread
/// headers it needs, and a header saying why; text files with a secret are kept as their
/// redacted text.
struct RedactedMail {
    /// The copy to keep in place of the original bytes; nil when nothing in the mail is a
    /// secret (the original is kept, as always).
    var rendition: [UInt8]?
    /// The text to store: the mail's own, or, when its HTML hid a secret from the reading
    /// (words set in separate elements), the HTML read with a space at every tag.
    var text: String
    /// The files to store, a text file with a secret replaced by its redacted text.
    var files: [ParsedMail.File]
    /// What was found anywhere in the mail.
    var kinds: Set<SecretKind> = []

    init(_ parsed: ParsedMail, raw: [UInt8], guard secrets: SecretGuard) {
        var kinds = Set<SecretKind>()
        func clean(_ text: String) -> String {
            let redaction = secrets.redact(text)
            kinds.formUnion(redaction.kinds)
            return redaction.text
        }
        text = parsed.text
        files = parsed.files.map { file in
            guard let words = file.text else { return file }
            let redaction = secrets.redact(words)
            let hidden = file.hiddenText.map { secrets.redact($0).kinds } ?? []
            guard !redaction.kinds.isEmpty || !hidden.isEmpty else { return file }
            kinds.formUnion(redaction.kinds.union(hidden))
            let name = file.filename.lowercased().hasSuffix(".txt") ? file.filename : file.filename + ".txt"
            var kept = file
            (kept.filename, kept.declaredType, kept.bytes, kept.text) = (name, "text/plain", Array(redaction.text.utf8), redaction.text)
            (kept.contentId, kept.inline) = (nil, false)
            return kept
        }
        // What is shown first: a secret there makes the readings below unnecessary.
        let shownText = secrets.redact(parsed.text)
        kinds.formUnion(shownText.kinds)
        var shown = Shown(
            subject: clean(parsed.subject), text: shownText.text, files: files.map { clean($0.filename) },
            fromName: parsed.from?.name.map(clean), toNames: (parsed.to + parsed.cc).map { $0.name.map(clean) })
        for hidden in parsed.unshownText { kinds.formUnion(secrets.redact(hidden).kinds) }
        // Names the service never stores (Reply-To, Delivered-To), and the raw text as a whole:
        // other headers, a preamble, an attribute without quotes.
        for address in parsed.replyTo + parsed.deliveredTo { if let name = address.name { kinds.formUnion(secrets.redact(name).kinds) } }
        if kinds.isEmpty { kinds.formUnion(secrets.redact(RawMailText.text(of: raw)).kinds) }
        // A secret found only in the HTML's every word may be glued together in the text shown
        // (`<span>legal</span><span>winner</span>` reads "legalwinner"): then the mail is read
        // again with a space at every tag, and that text is stored. Rare, so read twice.
        if !kinds.isEmpty, parsed.html != nil, shownText.kinds.isEmpty {
            let spacedText = ParsedMail.parse(raw, spacedInline: true).text
            let spaced = secrets.redact(spacedText)
            if !spaced.kinds.isEmpty { (text, shown.text) = (spacedText, spaced.text) }
        }
        rendition = kinds.isEmpty ? nil : Self.rendition(of: parsed, shown: shown, kinds: kinds)
        self.kinds = kinds
    }

    /// The mail's readable fields with their secrets taken out.
    struct Shown {
        var subject, text: String
        var files: [String]
        var fromName: String?
        var toNames: [String?]
    }

    static func rendition(of parsed: ParsedMail, shown: Shown, kinds: Set<SecretKind>) -> [UInt8] {
        let (subject, text, files, fromName, toNames) = (shown.subject, shown.text, shown.files, shown.fromName, shown.toNames)

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
