import Foundation
import Testing

@testable import KefuMail

@Suite struct MailPartsTests {
    @Test func htmlLinesLoseTrailingBlanksAndLeadingSpaces() {
        #expect(HTMLText.trimmedLine("  a b \t ") == "a b")
        #expect(HTMLText.trimmedLine(" \tindented") == "\tindented")
        #expect(HTMLText.trimmedLine(" \t ") == "")
        #expect(HTMLText.trimmedLine("") == "")
        #expect(HTMLText.text(from: "<p>  one  </p><p>two\t</p>").contains("one\n"))
    }

    @Test func charsetsAreReadInTheSupersetClientsMean() {
        // 喆 is not in GB2312 but Chinese clients label GBK text "gb2312".
        let gbk = Charset.encode("张喆", to: "gbk")!
        #expect(Charset.decode(gbk, label: "gb2312") == .init(text: "张喆", lossy: false, guessed: false))
        // Declared UTF-8 but really GBK: read as GBK, marked as a guess.
        #expect(Charset.decode(gbk, label: "utf-8").text == "张喆")
        // A bad lead byte is one replacement character, and the rest still reads.
        let broken = Array(Charset.encode("提现", to: "gbk")!) + [0x81, 0x20] + Array("ok".utf8)
        let decoded = Charset.decode(broken, label: "gbk")
        #expect(decoded == .init(text: "提现\u{FFFD} ok", lossy: true, guessed: false))
        // So is a sequence cut off at the end.
        let cut = Charset.decode(Charset.encode("提现", to: "gbk")!.dropLast(), label: "gbk")
        #expect(cut == .init(text: "提\u{FFFD}", lossy: true, guessed: false))
        #expect(Charset.decode([0x80], label: "iso-8859-1").text == "€")
        #expect(Charset.decode(Array("plain".utf8), label: "x-made-up").guessed == false)
        #expect(!Charset.isKnown("x-made-up"))
        #expect(Charset.isKnown("ISO-8859-15") && Charset.isKnown("windows-1251") && Charset.isKnown("ks_c_5601-1987"))
    }

    @Test func encodedWordsJoinSplitCharactersAndKeepOtherSpaces() {
        #expect(HeaderText.decode(Array("=?UTF-8?Q?a_b?= plain =?UTF-8?B?w6k=?=".utf8)) == "a b plain é")
        // Two words in one charset with the middle of "é" split between them.
        #expect(HeaderText.decode(Array("=?UTF-8?B?w6?= =?UTF-8?Q?=A9?=".utf8)) == "é")
        #expect(HeaderText.decode(Array("Re: =?utf-8*en?q?hello?=".utf8)) == "Re: hello")
        // Not an encoded word: left alone.
        #expect(HeaderText.decode(Array("=?broken".utf8)) == "=?broken")
        let encoded = HeaderText.encode(String(repeating: "提现审核", count: 10))
        #expect(encoded.split(separator: "\r\n ").allSatisfy { $0.count <= 75 })
        #expect(HeaderText.decode(Array(encoded.utf8)) == String(repeating: "提现审核", count: 10))
        #expect(HeaderText.encode("Re: [#1042] hello") == "Re: [#1042] hello")
    }

    @Test func parametersFollowRFC2231AndQuoting() {
        let parsed = HeaderParameters.parse(Array(#"Attachment; filename="a \"b\"; c.txt"; size=3"#.utf8))
        #expect(parsed.value == "attachment")
        #expect(parsed["filename"] == #"a "b"; c.txt"#)
        let continued = HeaderParameters.parse(Array("attachment; filename*0*=utf-8'zh'%E6%88%AA; filename*1=\".png\"".utf8))
        #expect(continued["filename"] == "截.png")
    }

    @Test func transferEncodingsAreReadLeniently() {
        #expect(TransferEncoding.decodeQuotedPrintable(Array("a=3Db=\r\nc  \r\nd=ZZ".utf8)) == Array("a=bc\r\nd=ZZ".utf8))
        let (bytes, clean) = TransferEncoding.decodeBase64(Array("aGVs\r\nbG8*".utf8))
        #expect(bytes == Array("hello".utf8))
        #expect(!clean)
        let text = "第一行\n" + String(repeating: "长", count: 40) + " \n.dot"
        let qp = TransferEncoding.encodeQuotedPrintable(text)
        #expect(qp.split(separator: "\r\n").allSatisfy { $0.count <= 76 })
        #expect(String(decoding: TransferEncoding.decodeQuotedPrintable(Array(qp.utf8)), as: UTF8.self) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func htmlBecomesTextWithoutScriptsAndWithRealLinkTargets() {
        let text = HTMLText.text(from: "<div>Hi<br>there</div><script>x()</script><p>a&lt;b &#26377;</p><a href=\"https://evil.example\">https://good.example</a>")
        #expect(text == "Hi\nthere\n\na<b 有\n\nhttps://good.example (https://evil.example)")
    }

    @Test func historyIsFoldedInTheStylesChineseClientsUse() {
        let qq = "好的，谢谢\n\n------------------ 原始邮件 ------------------\n发件人: \"客服\"<support@kefu.example>\n您好"
        #expect(QuotedHistory.split(qq) == .init(reply: "好的，谢谢", quoted: "------------------ 原始邮件 ------------------\n发件人: \"客服\"<support@kefu.example>\n您好"))
        let netease = "收到\n\n在 2026-11-24 18:30:00，\"Kefu 客服\" <support@kefu.example> 写道：\n> 请提供截图"
        #expect(QuotedHistory.split(netease).reply == "收到")
        // A "From:" line in the middle of the customer's own words is not a quote.
        let own = "From: my old phone I can no longer log in\nplease help"
        #expect(QuotedHistory.split(own).quoted.isEmpty)
        // Only a quote (a forward without a note) stays visible.
        #expect(QuotedHistory.split("> hello").reply == "> hello")
    }

    @Test func addressesAndIdsAreReadFromRealHeaders() {
        let list = MailAddress.parseList(Array(#""Wang, Min" <WANG@Example.com>, li@example.cn (Li Wei); undisclosed-recipients:;"#.utf8))
        #expect(list.map(\.normalized) == ["wang@example.com", "li@example.cn"])
        #expect(list.map(\.name) == ["Wang, Min", "Li Wei"])
        #expect(MailAddress.messageIds(Array("<a@b> <c@d>\r\n <e@f>".utf8)) == ["a@b", "c@d", "e@f"])
        #expect(MailAddress.messageIds(Array("bare@id".utf8)) == ["bare@id"])
    }

    @Test func datesFromEveryClient() {
        let expected = Calendar(identifier: .gregorian).date(
            from: DateComponents(timeZone: TimeZone(identifier: "UTC"), year: 2026, month: 11, day: 25, hour: 15, minute: 20))!
        #expect(MailDate.parse("Wed, 25 Nov 2026 23:20:00 +0800 (CST)") == expected)
        #expect(MailDate.parse("25 Nov 26 15:20 GMT") == expected)
        #expect(MailDate.parse("yesterday") == nil)
        #expect(MailDate.parse("(sent (from (my phone))) Wed, 25 Nov 2026 23:20:00 +0800 (China Standard Time)") == expected)
        #expect(MailDate.parse("Wed, 25 Nov 2026 23:20:00 +0800 (CST") == expected)
        #expect(MailDate.withoutComments("a (b (c) d) e (f") == "a  e ")
        // A header of thousands of unclosed "(" is not a date (it took minutes with a regex).
        #expect(MailDate.parse(String(repeating: "(", count: 60_000) + "Wed, 25 Nov 2026 23:20:00 +0800") == nil)
        #expect(MailDate.withoutComments(String(repeating: "(x", count: 60_000)).isEmpty)
        #expect(MailDate.parse(MailDate.format(expected)) == expected)
        #expect(MailDate.format(Date(timeIntervalSince1970: 1_796_074_805.9)) == "Mon, 30 Nov 2026 21:40:05 +0000")
        #expect(MailDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 1 Jan 1970 00:00:00 +0000")
        #expect(MailDate.format(Date(timeIntervalSince1970: 1_772_323_199)) == "Sat, 28 Feb 2026 23:59:59 +0000")
    }

    @Test func aMailBombIsCutNotFollowed() {
        var mail = "Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
        for level in 0..<40 {
            mail += "--b\(level)\r\nContent-Type: multipart/mixed; boundary=b\(level + 1)\r\n\r\n"
        }
        mail += "--b40\r\nContent-Type: text/plain\r\n\r\ndeep\r\n"
        var parser = MIMEParser()
        _ = parser.parse(Array(mail.utf8))
        #expect(parser.warnings.contains("multipart nested too deeply; kept as one part"))
        // Text with no header at all is still a mail with a body.
        let bare = ParsedMail.parse(Array("just words, no header".utf8))
        #expect(bare.text == "just words, no header")
        #expect(bare.warnings.contains("no readable From address"))
    }

    /// 20,000 parts in one flat multipart (1.5 MB) took 77 s and stored 20,000 attachments:
    /// the part limit counts flat parts too, and at most 100 attachments are kept per mail.
    @Test func aFlatMultipartStopsAtThePartLimitAndTheAttachmentCap() {
        var mail = "From: a@example.com\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
        mail += "--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        for index in 0..<20_000 {
            mail += "--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f\(index).bin\r\n\r\n\(index)\r\n"
        }
        mail += "--x--\r\n"
        var parser = MIMEParser()
        let root = parser.parse(Array(mail.utf8))
        #expect(root.children.count == MIMEParser.maxParts - 1)
        #expect(parser.warnings.contains { $0.hasPrefix("more than 500 MIME parts; 19502 more are only in the original") })
        let parsed = ParsedMail.parse(Array(mail.utf8))
        #expect(parsed.text == "hello")
        #expect(parsed.files.count == ParsedMail.maxAttachments)
        #expect(parsed.files.first?.filename == "f0.bin" && parsed.files.last?.filename == "f99.bin")
        #expect(parsed.warnings.contains { $0.contains("more attachments than the 100 kept") })
    }

    @Test func thePartLimitCountsNestedAndFlatPartsAlike() {
        // 30 nested multiparts of 20 parts each: 600+ parts, no more than 500 read.
        var mail = "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
        for group in 0..<30 {
            mail += "--outer\r\nContent-Type: multipart/mixed; boundary=g\(group)\r\n\r\n"
            for part in 0..<20 { mail += "--g\(group)\r\nContent-Type: text/plain\r\n\r\n\(group).\(part)\r\n" }
            mail += "--g\(group)--\r\n"
        }
        mail += "--outer--\r\n"
        var parser = MIMEParser()
        let root = parser.parse(Array(mail.utf8))
        func count(_ entity: MIMEEntity) -> Int { 1 + entity.children.map(count).reduce(0, +) }
        #expect(count(root) <= MIMEParser.maxParts)
        #expect(count(root) >= MIMEParser.maxParts - 21)
    }
}
