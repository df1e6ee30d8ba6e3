import Foundation
import Testing

@testable import KefuMail

@Suite struct ComposerTests {
    @Test func aComposedReplyParsesBackToWhatWasWritten() {
        let mail = OutgoingMail(
            from: MailAddress(name: "Kefu 客服", address: "support@kefu.example"),
            to: [MailAddress(name: "李伟", address: "li.wei@example.cn")],
            replyTo: MailAddress(name: "Kefu 客服", address: "support+c-abcdefghijkl@kefu.example"),
            subject: "Re: [#1042] 账户被冻结，" + String(repeating: "很长的主题", count: 12),
            messageId: "kefu.1.x@kefu.example", inReplyTo: "m1@example.cn", references: ["m0@example.cn", "m1@example.cn"],
            date: Date(timeIntervalSince1970: 1_800_000_000),
            text: "您好：\n.这一行以点开头\n" + String(repeating: "长", count: 100), html: "<p>您好：</p>",
            files: [.init(filename: "转账 说明.pdf", contentType: "application/pdf", bytes: Array("%PDF-1.4\n%%EOF\n".utf8))],
            autoSubmitted: "auto-replied")
        let raw = mail.render()
        #expect(raw.allSatisfy { $0 < 0x80 })  // 7-bit clean: every relay takes it
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.split(separator: "\r\n").allSatisfy { $0.count <= 998 })
        let parsed = ParsedMail.parse(raw)
        #expect(parsed.subject == mail.subject)
        #expect(parsed.from == MailAddress(name: "Kefu 客服", address: "support@kefu.example"))
        #expect(parsed.replyTo.first?.address == "support+c-abcdefghijkl@kefu.example")
        #expect(parsed.to.first?.name == "李伟")
        #expect(parsed.messageId == "kefu.1.x@kefu.example")
        #expect(parsed.inReplyTo == ["m1@example.cn"])
        #expect(parsed.references == ["m0@example.cn", "m1@example.cn"])
        #expect(parsed.text == mail.text.replacingOccurrences(of: "\n", with: "\n"))
        #expect(parsed.html == "<p>您好：</p>")
        #expect(parsed.files.map(\.filename) == ["转账 说明.pdf"])
        #expect(parsed.files.first?.bytes == Array("%PDF-1.4\n%%EOF\n".utf8))
        #expect(parsed.automatic == .autoReply)
        #expect(parsed.date == mail.date)
        #expect(parsed.warnings.isEmpty)
    }

    @Test func plainTextOnlyIsOnePart() {
        let raw = OutgoingMail(
            from: MailAddress(address: "support@kefu.example"), to: [MailAddress(address: "a@example.com")], subject: "Hi",
            messageId: "m@kefu.example", date: Date(), text: "Hello").render()
        let parsed = ParsedMail.parse(raw)
        #expect(parsed.text == "Hello")
        #expect(String(decoding: raw, as: UTF8.self).contains("Content-Type: text/plain; charset=utf-8"))
    }
}
