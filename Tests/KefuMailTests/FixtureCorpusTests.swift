import Foundation
import KefuMail
import Testing

/// Every fixture mail parses to what a person reading it in their own client sees. The
/// expectations (Fixtures/expected.json) are written by hand, not produced by this parser.
@Suite struct FixtureCorpusTests {
    struct Expectation: Decodable, Sendable, CustomTestStringConvertible {
        struct File: Decodable, Sendable {
            let filename: String
            let type: String
            let size: Int?
            let inline: Bool
            let contentId: String?
        }
        var name = ""
        let subject: String
        let from: String
        let fromName: String?
        let to: [String]?
        let messageId: String?
        let inReplyTo: [String]?
        let references: [String]?
        let text: [String]
        let notText: [String]?
        let reply: String?
        let quotedStarts: String?
        let hasHtml: Bool?
        let files: [File]?
        let automatic: String?
        let noDate: Bool?
        let warnings: Bool

        var testDescription: String { name }

        enum CodingKeys: String, CodingKey {
            case subject, from, fromName, to, messageId, inReplyTo, references, text, notText, reply, quotedStarts, hasHtml, files
            case automatic, noDate, warnings
        }
    }

    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static let corpus: [Expectation] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("expected.json"))
        let table = try! JSONDecoder().decode([String: Expectation].self, from: data)
        return table.sorted { $0.key < $1.key }.map { name, value in
            var copy = value
            copy.name = name
            return copy
        }
    }()

    @Test func everyFixtureHasAnExpectation() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".eml") }
        #expect(Set(files) == Set(Self.corpus.map(\.name)))
        #expect(files.count >= 18)
    }

    @Test(arguments: corpus)
    func parsesAsItsReaderSeesIt(_ expected: Expectation) throws {
        let bytes = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent(expected.name)))
        let mail = ParsedMail.parse(bytes)
        #expect(mail.subject == expected.subject)
        #expect(mail.from?.address == expected.from)
        if let name = expected.fromName { #expect(mail.from?.name == name) }
        if let to = expected.to { #expect(mail.to.map(\.address) == to) }
        if let id = expected.messageId { #expect(mail.messageId == id) }
        if let ids = expected.inReplyTo { #expect(mail.inReplyTo == ids) }
        if let ids = expected.references { #expect(mail.references == ids) }
        for piece in expected.text { #expect(mail.text.contains(piece), "missing \(piece) in \(mail.text)") }
        for piece in expected.notText ?? [] { #expect(!mail.text.contains(piece), "\(piece) should not be in \(mail.text)") }
        #expect(!mail.text.contains("\u{FFFD}"))
        if let reply = expected.reply {
            let split = QuotedHistory.split(mail.text)
            #expect(split.reply == reply)
            #expect(split.quoted.hasPrefix(expected.quotedStarts ?? ""), "quoted: \(split.quoted)")
        }
        if let hasHtml = expected.hasHtml { #expect((mail.html != nil) == hasHtml) }
        if let files = expected.files {
            #expect(mail.files.map(\.filename) == files.map(\.filename))
            for (file, want) in zip(mail.files, files) {
                #expect(file.declaredType == want.type)
                #expect(file.inline == want.inline)
                if let size = want.size { #expect(file.bytes.count == size) }
                if let contentId = want.contentId { #expect(file.contentId == contentId) }
            }
        }
        #expect(mail.automatic?.rawValue == expected.automatic)
        #expect((mail.date == nil) == (expected.noDate ?? false))
        #expect(!mail.warnings.isEmpty == expected.warnings, "warnings: \(mail.warnings)")
    }
}
