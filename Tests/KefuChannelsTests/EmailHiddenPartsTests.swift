import Foundation
import KefuChannels
import KefuCore
import KefuMail
import KefuStore
import KefuTestSupport
import Testing

/// A recovery phrase in a part of a mail Kefu does not show (the HTML beside a harmless text
/// part, a text attachment, a forwarded mail, a comment, an attribute, words set in separate
/// elements) is still in the bytes Kefu would keep: none of them may reach the blob store.
@Suite struct EmailHiddenPartsTests {
    static let phrase = EmailSecretsTests.phrase
    static let harmless = "Hello support, please see below. Thanks, Li"

    /// Each case: a name and the MIME body (after the top-level headers' Content-Type).
    static let cases: [(String, String)] = [
        (
            "html-beside-text",
            multipart(
                "alternative",
                ["Content-Type: text/plain\r\n\r\n\(harmless)", "Content-Type: text/html\r\n\r\n<p>\(harmless)</p><p>\(phrase)</p>"])
        ),
        (
            "second-text-part-as-attachment",
            multipart(
                "mixed",
                [
                    "Content-Type: text/plain\r\n\r\n\(harmless)",
                    "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\n\(phrase)",
                ])
        ),
        (
            "base64-text-file",
            multipart(
                "mixed",
                [
                    "Content-Type: text/plain\r\n\r\n\(harmless)",
                    "Content-Type: text/csv; name=wallet.csv\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n"
                        + Data(phrase.replacingOccurrences(of: " ", with: ",").utf8).base64EncodedString(),
                ])
        ),
        (
            "octet-stream-txt",
            multipart(
                "mixed",
                [
                    "Content-Type: text/plain\r\n\r\n\(harmless)",
                    "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=seed.txt\r\n\r\n"
                        + Data(phrase.utf8).base64EncodedString(),
                ])
        ),
        (
            "forwarded-mail",
            multipart(
                "mixed",
                [
                    "Content-Type: text/plain\r\n\r\n\(harmless)",
                    "Content-Type: message/rfc822\r\n\r\nFrom: a@example.com\r\nSubject: my words\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                        + phrase.replacingOccurrences(of: "wave", with: "wa=\r\nve"),
                ])
        ),
        (
            "forwarded-twice",
            multipart(
                "mixed",
                [
                    "Content-Type: text/plain\r\n\r\n\(harmless)",
                    "Content-Type: message/rfc822\r\n\r\nFrom: a@example.com\r\nSubject: fwd\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@example.com\r\nSubject: inner\r\n\r\n\(phrase)",
                ])
        ),
        (
            "forwarded-mail-header",
            multipart(
                "mixed",
                [
                    "Content-Type: text/plain\r\n\r\n\(harmless)",
                    "Content-Type: message/rfc822\r\n\r\nFrom: a@example.com\r\nX-Note: \(phrase)\r\nSubject: fw\r\n\r\nhello",
                ])
        ),
        ("html-only-spans", "Content-Type: text/html\r\n\r\n<p>" + phrase.split(separator: " ").map { "<span>\($0)</span>" }.joined() + "</p>"),
        ("html-comment", "Content-Type: text/html\r\n\r\n<p>\(harmless)</p><!-- \(phrase) -->"),
        ("html-attribute", "Content-Type: text/html\r\n\r\n<p>\(harmless)<img alt=\"\(phrase)\" src=\"cid:x\"></p>"),
        ("html-style", "Content-Type: text/html\r\n\r\n<style>/* \(phrase) */</style><p>\(harmless)</p>"),
        ("html-unquoted-attribute", "Content-Type: text/html\r\n\r\n<div title=\(phrase.replacingOccurrences(of: " ", with: ","))>\(harmless)</div>"),
        (
            "html-data-uri",
            "Content-Type: text/html\r\n\r\n<p>\(harmless)</p><img src=\"data:text/plain;base64,\(Data(phrase.utf8).base64EncodedString())\">"
        ),
        ("custom-header", "X-Wallet-Note: \(phrase)\r\nContent-Type: text/plain\r\n\r\n\(harmless)"),
        ("encoded-custom-header", "Comments: =?utf-8?b?\(Data(phrase.utf8).base64EncodedString())?=\r\nContent-Type: text/plain\r\n\r\n\(harmless)"),
        ("reply-to-name", "Reply-To: \"\(phrase)\" <c@example.com>\r\nContent-Type: text/plain\r\n\r\n\(harmless)"),
        ("preamble", "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\(phrase)\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\(harmless)\r\n--b1--\r\n"),
        (
            "utf16-text-file",
            multipart(
                "mixed",
                [
                    "Content-Type: text/plain\r\n\r\n\(harmless)",
                    "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=seed.txt\r\n\r\n"
                        + Data([0xFF, 0xFE] + Array(phrase.data(using: .utf16LittleEndian)!)).base64EncodedString(),
                ])
        ),
    ]

    static func multipart(_ kind: String, _ parts: [String]) -> String {
        "Content-Type: multipart/\(kind); boundary=\"b1\"\r\n\r\n" + parts.map { "--b1\r\n\($0)\r\n" }.joined() + "--b1--\r\n"
    }

    static func mail(_ id: String, _ body: String) -> [UInt8] {
        Array("From: Li Wei <li.wei@example.com>\r\nTo: support@kefu.test\r\nSubject: help\r\nMessage-ID: <\(id)@example.com>\r\nMIME-Version: 1.0\r\n\(body)".utf8)
    }

    /// Every word a kept blob holds: its bytes, and read as a mail, every part of it.
    static func words(of blob: Data) -> String {
        let parsed = ParsedMail.parse(Array(blob))
        return ([String(decoding: blob, as: UTF8.self), parsed.subject, parsed.text] + parsed.unshownText + parsed.files.compactMap(\.text))
            .joined(separator: "\n")
    }

    @Test func everyWordOfHTMLIsRead() {
        let words = HTMLText.everyWord(from: "<p title='alpha'>be<b>ta</b></p><!-- gamma --><style>delta</style>&amp;<img alt=\"epsilon\">")
        for word in ["alpha", "be", "ta", "gamma", "delta", "&", "epsilon"] { #expect(words.contains(word), "\(word)") }
        #expect(HTMLText.text(from: "<span>one</span><span>two</span>", spacedInline: true) == "one two")
        #expect(HTMLText.text(from: "<p>on<b>e</b></p>", spacedInline: true) == "on e")
        #expect(HTMLText.text(from: "<span>one</span><span>two</span>") == "onetwo")
    }

    @Test(arguments: cases.map(\.0))
    func aPhraseInAPartNotShownIsNotKept(_ name: String) async throws {
        let body = try #require(Self.cases.first { $0.0 == name }?.1)
        try await EmailChannelTests().withChannel(.sqlite) { store, channel, _, blobs in
            let outcome = try await channel.ingest.ingest(raw: Self.mail(name, body), envelope: nil)
            let conversation = try #require(outcome.conversation)
            let stored = try await store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(!stored.map(\.text).joined().contains("sausage"))
            // Found where agents do not look, it is told all the same: the flag, the history line, the audit.
            #expect(try await store.conversation(id: conversation.id)?.secretExposedAt != nil, "\(name)")
            #expect(stored.contains { $0.systemEvent == .secretRedacted(kinds: [.recoveryPhrase]) }, "\(name)")
            let mail = try #require(try await store.mails(conversationId: conversation.id).first)
            let kept = try blobs.get(mail.rawSha256)
            #expect(String(decoding: kept, as: UTF8.self).contains("X-Kefu-Redacted: recovery_phrase"), "\(name)")
            let files = FileManager.default.enumerator(at: blobs.root, includingPropertiesForKeys: nil)!
            var count = 0
            for case let url as URL in files where !url.hasDirectoryPath {
                count += 1
                #expect(!Self.words(of: (try? Data(contentsOf: url)) ?? Data()).contains("sausage"), "\(name): \(url.lastPathComponent)")
            }
            #expect(count >= 1)
        }
    }

    /// The same shapes without a secret keep the original bytes, files and all.
    @Test func harmlessHiddenPartsKeepTheOriginal() async throws {
        let body = Self.multipart(
            "mixed",
            [
                "Content-Type: text/plain\r\n\r\n\(Self.harmless)",
                "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\nwithdrawal limit wallet address tx 0xabc",
            ])
        try await EmailChannelTests().withChannel(.sqlite) { store, channel, _, blobs in
            let raw = Self.mail("harmless", body)
            let outcome = try await channel.ingest.ingest(raw: raw, envelope: nil)
            let conversation = try #require(outcome.conversation)
            let mail = try #require(try await store.mails(conversationId: conversation.id).first)
            #expect(Array(try blobs.get(mail.rawSha256)) == raw)
            let stored = try await store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(stored.first?.attachments.map(\.filename) == ["notes.txt"])
        }
    }
}
