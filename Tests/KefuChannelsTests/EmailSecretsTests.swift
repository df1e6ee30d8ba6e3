import Foundation
import KefuChannels
import KefuCore
import KefuMail
import KefuStore
import KefuTestSupport
import Testing

/// A mail with a recovery phrase (quoted-printable, as mail clients send long lines) keeps
/// nothing of it: not in the message, the subject, a file name, nor the stored copy of the mail
/// itself, which becomes a redacted rendition on disk.
@Suite struct EmailSecretsTests {
    static let phrase = "legal winner thank year wave sausage worth useful legal winner thank yellow"

    @Test(arguments: TestBackend.available)
    func theStoredCopyOfAMailWithASecretIsARedactedRendition(_ backend: TestBackend) async throws {
        try await EmailChannelTests().withChannel(backend) { store, channel, _, blobs in
            let body = "Hello support,=0D=0Amy seed: \(Self.phrase.replacingOccurrences(of: "wave", with: "wa=\r\nve"))=0D=0Aplease help"
            let raw = """
                From: Li Wei <li.wei@example.com>\r
                To: support@kefu.test\r
                Subject: Wallet \(Self.phrase)\r
                Message-ID: <secret-1@example.com>\r
                MIME-Version: 1.0\r
                Content-Type: text/plain; charset=utf-8\r
                Content-Transfer-Encoding: quoted-printable\r
                \r
                \(body)\r

                """
            let outcome = try await channel.ingest.ingest(raw: Array(raw.utf8), envelope: nil)
            let conversation = try #require(outcome.conversation)
            #expect(conversation.subject?.contains("sausage") == false)
            let stored = try await store.messages(conversationId: conversation.id, since: 0, limit: 10)
            #expect(stored.first?.text.contains("[redacted: recovery phrase]") == true)
            #expect(!stored.map(\.text).joined().contains("sausage"))
            let mail = try #require(try await store.mails(conversationId: conversation.id).first)
            let kept = try blobs.get(mail.rawSha256)
            let parsed = ParsedMail.parse(Array(kept))
            #expect(parsed.text.contains("[redacted: recovery phrase]"))
            #expect(parsed.subject == "Wallet [redacted: recovery phrase]")
            #expect(parsed.messageId == "secret-1@example.com")
            // No file under the blob store holds the phrase, in any encoding the mail used.
            let files = FileManager.default.enumerator(at: blobs.root, includingPropertiesForKeys: nil)!
            for case let url as URL in files where !url.hasDirectoryPath {
                let bytes = String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self)
                #expect(!bytes.contains("sausage") && !bytes.contains("wa=\r\nve"), "\(url.lastPathComponent)")
            }
            // The same bytes again are the same mail (recognised by its Message-ID), not a second one.
            #expect(try await channel.ingest.ingest(raw: Array(raw.utf8), envelope: nil).duplicate)
        }
    }
}
