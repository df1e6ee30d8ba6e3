import Foundation

/// The words of a mail's file when it is text: a text or HTML part sent as an attachment, a
/// forwarded mail (read as a mail: its subject, sender, text, unshown parts and files), or
/// bytes sent as `application/octet-stream` that are plainly UTF-8 text. Kefu never shows
/// these as text; the secret check reads them because the stored file keeps them.
enum ReadableFile {
    /// Files larger than this are not read as text (a log, a data export): see the known gaps
    /// in docs/trust-and-safety.md.
    static let maxBytes = 4 << 20

    static func text(of entity: MIMEEntity, nesting: Int) -> String? {
        let bytes = entity.body
        guard !bytes.isEmpty, bytes.count <= maxBytes else { return nil }
        let type = entity.contentType.value
        if type == "message/rfc822" || type == "message/global", nesting < ParsedMail.maxNesting {
            return forwarded(ParsedMail.parse(bytes, nesting: nesting + 1))
        }
        if type.hasPrefix("text/") {
            let decoded = Charset.decode(bytes, label: entity.charset).text
            return type == "text/html" ? HTMLText.everyWord(from: decoded) : decoded
        }
        return plainBytes(bytes)
    }

    /// A forwarded mail's raw text as a whole (its own headers, preamble …): what its parsed
    /// reading has no field for.
    static func hiddenText(of entity: MIMEEntity, nesting: Int) -> String? {
        let type = entity.contentType.value
        guard type == "message/rfc822" || type == "message/global", entity.body.count <= maxBytes else { return nil }
        return RawMailText.text(of: entity.body)
    }

    /// Bytes that are UTF-8 text with no NUL in them (what a `.txt`, `.csv` or `.json` sent as
    /// bytes is, and what an image, a PDF or an archive never is).
    static func plainBytes(_ bytes: [UInt8]) -> String? {
        // UTF-16 with its byte-order mark (what Windows' Notepad saves).
        if bytes.count >= 2, (bytes[0], bytes[1]) == (0xFF, 0xFE) || (bytes[0], bytes[1]) == (0xFE, 0xFF) {
            return String(data: Data(bytes), encoding: .utf16)
        }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else { return nil }
        return text
    }

    static func forwarded(_ mail: ParsedMail) -> String {
        var parts = [mail.subject, mail.from?.name ?? "", mail.text] + mail.unshownText
        for file in mail.files {
            parts.append(file.filename)
            if let text = file.text { parts.append(text) }
        }
        return parts.joined(separator: "\n\n")
    }
}
