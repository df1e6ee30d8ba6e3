import Foundation

/// An outgoing mail, composed as RFC 5322 + MIME: UTF-8 throughout, headers RFC 2047 encoded,
/// text and HTML as multipart/alternative, files base64 in multipart/mixed. Lines end in CRLF.
public struct OutgoingMail: Sendable {
    public struct File: Sendable {
        public var filename: String
        public var contentType: String
        public var bytes: [UInt8]

        public init(filename: String, contentType: String, bytes: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    public var from: MailAddress
    public var to: [MailAddress]
    public var replyTo: MailAddress?
    public var subject: String
    /// Without angle brackets.
    public var messageId: String
    public var inReplyTo: String?
    public var references: [String]
    public var date: Date
    public var text: String
    public var html: String?
    public var files: [File]
    /// "auto-replied" for acknowledgements (RFC 3834), so other robots do not answer them.
    public var autoSubmitted: String?
    public var extraHeaders: [(String, String)]

    public init(
        from: MailAddress, to: [MailAddress], replyTo: MailAddress? = nil, subject: String, messageId: String, inReplyTo: String? = nil,
        references: [String] = [], date: Date, text: String, html: String? = nil, files: [File] = [], autoSubmitted: String? = nil,
        extraHeaders: [(String, String)] = []
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.messageId = messageId
        self.inReplyTo = inReplyTo
        self.references = references
        self.date = date
        self.text = text
        self.html = html
        self.files = files
        self.autoSubmitted = autoSubmitted
        self.extraHeaders = extraHeaders
    }

    /// `"Display Name" <address>` with the name encoded when it is not plain ASCII.
    static func header(_ address: MailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return "<\(address.address)>" }
        let plain = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }
        return (plain ? "\"\(name)\"" : HeaderText.encode(name)) + " <\(address.address)>"
    }

    /// A header line folded so no line exceeds 78 characters where it can be avoided.
    static func fold(_ name: String, _ value: String) -> String {
        let line = "\(name): \(value)"
        guard line.count > 78, value.contains(" ") else { return line }
        var output = ""
        var current = "\(name):"
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            if current.count + 1 + word.count > 78 && current.contains(" ") {
                output += current + "\r\n"
                current = " " + word
            } else {
                current += " " + word
            }
        }
        return output + current
    }

    public func render() -> [UInt8] {
        var headers: [String] = [
            Self.fold("From", Self.header(from)),
            Self.fold("To", to.map(Self.header).joined(separator: ", ")),
        ]
        if let replyTo { headers.append(Self.fold("Reply-To", Self.header(replyTo))) }
        headers.append("Subject: " + HeaderText.encode(subject.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")))
        headers.append("Date: \(MailDate.format(date))")
        headers.append("Message-ID: <\(messageId)>")
        if let inReplyTo { headers.append("In-Reply-To: <\(inReplyTo)>") }
        if !references.isEmpty { headers.append(Self.fold("References", references.suffix(20).map { "<\($0)>" }.joined(separator: " "))) }
        if let autoSubmitted { headers.append("Auto-Submitted: \(autoSubmitted)") }
        for (name, value) in extraHeaders { headers.append(Self.fold(name, HeaderText.encode(value))) }
        headers.append("MIME-Version: 1.0")

        let seed = messageId.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }
        let boundary = { (tag: String) in "=_kefu_\(tag)_\(String(seed, radix: 36))" }
        let textPart = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + TransferEncoding.encodeQuotedPrintable(text)
        var body: String
        var contentType: String
        if let html {
            let alternative = boundary("alt")
            let htmlPart = "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + TransferEncoding.encodeQuotedPrintable(html)
            body = "--\(alternative)\r\n\(textPart)\r\n--\(alternative)\r\n\(htmlPart)\r\n--\(alternative)--\r\n"
            contentType = "multipart/alternative; boundary=\"\(alternative)\""
        } else {
            body = ""
            contentType = ""
        }
        if files.isEmpty {
            if html == nil {
                // A single text part: its headers are the message's.
                let (partHeaders, partBody) = Self.split(textPart)
                return Array((headers + partHeaders + ["", partBody]).joined(separator: "\r\n").utf8) + [0x0D, 0x0A]
            }
        } else {
            let mixed = boundary("mix")
            var parts = html == nil ? "--\(mixed)\r\n\(textPart)\r\n" : "--\(mixed)\r\nContent-Type: \(contentType)\r\n\r\n\(body)\r\n"
            for file in files {
                let name = Self.parameter(file.filename)
                parts += "--\(mixed)\r\nContent-Type: \(file.contentType); name=\(name.legacy)\r\n"
                parts += "Content-Disposition: attachment; \(name.rfc2231)\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                parts += TransferEncoding.encodeBase64(file.bytes) + "\r\n"
            }
            parts += "--\(mixed)--\r\n"
            body = parts
            contentType = "multipart/mixed; boundary=\"\(mixed)\""
        }
        headers.append("Content-Type: \(contentType)")
        return Array((headers + ["", body]).joined(separator: "\r\n").utf8)
    }

    static func split(_ part: String) -> ([String], String) {
        guard let range = part.range(of: "\r\n\r\n") else { return ([], part) }
        return (part[..<range.lowerBound].components(separatedBy: "\r\n"), String(part[range.upperBound...]))
    }

    /// A filename both ways: RFC 2231 (`filename*=utf-8''…`) for modern clients and an RFC 2047
    /// word in `name=` for Outlook and Foxmail, which read that instead.
    static func parameter(_ filename: String) -> (rfc2231: String, legacy: String) {
        let cleaned = filename.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
        if cleaned.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) {
            return ("filename=\"\(cleaned)\"", "\"\(cleaned)\"")
        }
        // ASCII only: Foundation's "alphanumerics" would let Chinese letters through unencoded.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let encoded = cleaned.addingPercentEncoding(withAllowedCharacters: allowed) ?? "attachment"
        return ("filename*=utf-8''\(encoded)", "\"\(HeaderText.encode(cleaned).replacingOccurrences(of: "\r\n ", with: " "))\"")
    }
}
