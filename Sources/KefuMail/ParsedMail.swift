import Foundation

/// A received mail as the email channel uses it: who, what, which thread, the readable text,
/// the files, whether it is automatic, and what could not be read.
public struct ParsedMail: Sendable {
    public struct File: Sendable, Equatable {
        public var filename: String
        /// As declared by the sender; Kefu sniffs the bytes again before serving anything.
        public var declaredType: String
        public var bytes: [UInt8]
        /// Without angle brackets; set for inline parts an HTML body refers to as `cid:`.
        public var contentId: String?
        public var inline: Bool
        /// The file's words when it is text a person could read (a text or HTML part sent as a
        /// file, a forwarded mail, a `.txt` sent as bytes): what the secret check reads.
        public var text: String? = nil
        /// More words the stored file holds but `text` does not read as such (a forwarded mail's
        /// raw text: its own headers, preamble): checked, never kept in a redacted copy.
        public var hiddenText: String? = nil
    }

    /// Why a mail must never get an automatic answer.
    public enum Automatic: String, Sendable, Equatable {
        case autoReply = "auto_reply"
        case bounce
        case mailingList = "mailing_list"
        case bulk
    }

    public var messageId: String?
    public var inReplyTo: [String]
    public var references: [String]
    public var from: MailAddress?
    public var replyTo: [MailAddress]
    public var to: [MailAddress]
    public var cc: [MailAddress]
    /// Delivered-To / X-Original-To: the address it was really delivered for (lists, aliases).
    public var deliveredTo: [MailAddress]
    public var subject: String
    public var date: Date?
    /// The readable body: the text part, or the HTML part turned into text.
    public var text: String
    /// The HTML part as received (never rendered by Kefu; kept for "view original").
    public var html: String?
    /// Words the mail holds that `text` does not show: the alternatives not chosen, every word
    /// of its HTML parts (comments, titles, attributes too). The stored original keeps them, so
    /// the secret check reads them.
    public var unshownText: [String] = []
    public var files: [File]
    public var automatic: Automatic?
    public var warnings: [String]

    /// Where answers go: Reply-To when present, else From.
    public var replyAddress: MailAddress? { replyTo.first ?? from }

    /// Every message-id this mail refers to, nearest first (In-Reply-To, then References
    /// from the end).
    public var threadIds: [String] {
        var seen = Set<String>()
        return (inReplyTo + references.reversed()).filter { seen.insert($0).inserted }
    }

    /// Attachments stored per mail; more are kept only in the stored original.
    public static let maxAttachments = 100

    /// How deep forwarded mails inside forwarded mails are read as mails; deeper ones are read
    /// as their bytes.
    public static let maxNesting = 6

    /// `spacedInline`: HTML is read with a space at every inline tag (see `HTMLText.text`).
    public static func parse(_ bytes: [UInt8]) -> ParsedMail { parse(bytes, nesting: 0) }

    public static func parse(_ bytes: [UInt8], spacedInline: Bool) -> ParsedMail {
        parse(bytes, nesting: 0, spacedInline: spacedInline)
    }

    /// `nesting`: how many forwarded mails this one sits in.
    static func parse(_ bytes: [UInt8], nesting: Int, spacedInline: Bool = false) -> ParsedMail {
        var parser = MIMEParser()
        let root = parser.parse(bytes)
        var warnings = parser.warnings
        let fallback = Self.firstCharset(in: root)
        func header(_ name: String) -> [UInt8]? { root.header(name) }
        func addresses(_ name: String) -> [MailAddress] {
            root.headers(name).flatMap { MailAddress.parseList($0, fallbackCharset: fallback) }
        }
        let subject = header("Subject").map { HeaderText.decode($0, fallbackCharset: fallback) } ?? ""
        let from = addresses("From").first
        if from == nil { warnings.append("no readable From address") }

        var body = BodyCollector(nesting: nesting, spacedInline: spacedInline)
        body.collect(root, warnings: &warnings)
        if body.files.count > Self.maxAttachments {
            warnings.append("\(body.files.count - Self.maxAttachments) more attachments than the \(Self.maxAttachments) kept; they are only in the original mail")
            body.files.removeLast(body.files.count - Self.maxAttachments)
        }

        var text = body.plain.joined(separator: "\n\n")
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, let html = body.html.first {
            text = HTMLText.text(from: html, spacedInline: spacedInline)
        }
        text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        while text.last?.isNewline == true || text.last == " " { text.removeLast() }

        var mail = ParsedMail(
            messageId: header("Message-ID").flatMap { MailAddress.messageIds($0).first },
            inReplyTo: header("In-Reply-To").map(MailAddress.messageIds) ?? [],
            references: root.headers("References").flatMap(MailAddress.messageIds),
            from: from, replyTo: addresses("Reply-To"), to: addresses("To"), cc: addresses("Cc"),
            deliveredTo: addresses("Delivered-To") + addresses("X-Original-To"),
            subject: subject.trimmingCharacters(in: .whitespacesAndNewlines),
            date: header("Date").flatMap { MailDate.parse(String(decoding: $0, as: UTF8.self)) },
            text: text, html: body.html.first, files: body.files, automatic: nil, warnings: warnings)
        mail.automatic = Self.automatic(root, from: from)
        mail.unshownText = body.unshown + body.html.map(HTMLText.everyWord(from:))
        return mail
    }

    /// The charset of the first text part: what raw 8-bit headers most likely use too.
    static func firstCharset(in entity: MIMEEntity) -> String? {
        if let charset = entity.charset, entity.contentType.value.hasPrefix("text/") { return charset }
        for child in entity.children { if let found = firstCharset(in: child) { return found } }
        return nil
    }

    /// RFC 3834 and the conventions of real auto-responders, bounces and lists.
    static func automatic(_ root: MIMEEntity, from: MailAddress?) -> Automatic? {
        func value(_ name: String) -> String? {
            root.header(name).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased() }
        }
        if root.contentType.value == "multipart/report" { return .bounce }
        if let local = from?.localPart, ["mailer-daemon", "postmaster"].contains(local) { return .bounce }
        if let auto = value("Auto-Submitted"), auto != "no" { return .autoReply }
        if value("X-Autoreply") != nil || value("X-Autorespond") != nil { return .autoReply }
        if let precedence = value("Precedence") {
            if precedence.contains("auto_reply") { return .autoReply }
            if precedence.contains("list") { return .mailingList }
            if precedence.contains("bulk") || precedence.contains("junk") { return .bulk }
        }
        if value("List-Id") != nil || value("List-Unsubscribe") != nil { return .mailingList }
        if let local = from?.localPart, local.hasPrefix("noreply") || local.hasPrefix("no-reply") || local.hasPrefix("donotreply") {
            return .autoReply
        }
        return nil
    }
}

/// Walks the MIME tree choosing what a person reads: in multipart/alternative the richest part
/// Kefu can show (plain text preferred, HTML turned into text otherwise); in mixed and related,
/// every inline text part in order; everything else is a file.
struct BodyCollector {
    /// How many forwarded mails this one sits in.
    let nesting: Int
    let spacedInline: Bool
    var plain: [String] = []
    var html: [String] = []
    var files: [ParsedMail.File] = []
    /// Text parts read but not shown: the alternatives not chosen.
    var unshown: [String] = []

    mutating func collect(_ entity: MIMEEntity, warnings: inout [String]) {
        let type = entity.contentType.value
        if entity.isMultipart {
            if type == "multipart/alternative" {
                collectAlternative(entity, warnings: &warnings)
            } else {
                for child in entity.children { collect(child, warnings: &warnings) }
            }
            return
        }
        let isAttachment = entity.disposition?.value == "attachment"
        if !isAttachment && (type == "text/plain" || type == "text/html") {
            let decoded = Charset.decode(entity.body, label: entity.charset)
            if decoded.lossy { warnings.append("some text in \(entity.charset ?? "an undeclared charset") could not be read") }
            if let charset = entity.charset, !Charset.isKnown(charset) { warnings.append("unknown charset \(charset)") }
            if type == "text/plain" {
                plain.append(decoded.text)
            } else {
                html.append(decoded.text)
                plain.append(HTMLText.text(from: decoded.text, spacedInline: spacedInline))
            }
            return
        }
        addFile(entity)
    }

    mutating func collectAlternative(_ entity: MIMEEntity, warnings: inout [String]) {
        // Prefer text/plain; keep the HTML for "view original"; a nested multipart
        // (related: HTML + its images) contributes its files.
        var sub = BodyCollector(nesting: nesting, spacedInline: spacedInline)
        let plainIndex = entity.children.lastIndex { $0.contentType.value == "text/plain" && $0.disposition?.value != "attachment" }
        for (index, child) in entity.children.enumerated() where index != plainIndex {
            sub.collect(child, warnings: &warnings)
        }
        if let plainIndex {
            let plainPart = entity.children[plainIndex]
            let decoded = Charset.decode(plainPart.body, label: plainPart.charset)
            if decoded.lossy { warnings.append("some text in \(plainPart.charset ?? "an undeclared charset") could not be read") }
            // Some clients send an empty text/plain next to the real HTML.
            if decoded.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, let converted = sub.plain.first {
                plain.append(converted)
                unshown += sub.plain.dropFirst()
            } else {
                plain.append(decoded.text)
                unshown += sub.plain
            }
        } else if let converted = sub.plain.first {
            plain.append(converted)
            unshown += sub.plain.dropFirst()
        }
        unshown += sub.unshown
        html += sub.html
        files += sub.files
    }

    mutating func addFile(_ entity: MIMEEntity) {
        let name =
            entity.disposition?["filename"] ?? entity.contentType["name"]
            ?? Self.defaultName(for: entity.contentType.value, index: files.count + 1)
        let contentId = entity.header("Content-ID").flatMap { MailAddress.messageIds($0).first }
        let inline = entity.disposition?.value == "inline" || (entity.disposition == nil && contentId != nil)
        files.append(
            ParsedMail.File(
                filename: name, declaredType: entity.contentType.value, bytes: entity.body, contentId: contentId, inline: inline,
                text: ReadableFile.text(of: entity, nesting: nesting), hiddenText: ReadableFile.hiddenText(of: entity, nesting: nesting)))
    }

    static func defaultName(for type: String, index: Int) -> String {
        let ext =
            switch type {
            case "image/png": "png"
            case "image/jpeg", "image/jpg": "jpg"
            case "image/gif": "gif"
            case "application/pdf": "pdf"
            case "message/rfc822": "eml"
            case "text/calendar": "ics"
            default: "bin"
            }
        return "part-\(index).\(ext)"
    }
}
