import Foundation
import KefuCore
import Testing

@Suite struct ThrottlePolicyTests {
    let policy = ThrottlePolicy(freeAttempts: 3, window: 60, baseDelay: 2, maxDelay: 10)
    let start = Date(timeIntervalSince1970: 1_000_000)

    @Test func freeAttemptsThenDoublingDelaysCapped() {
        func failures(_ count: Int) -> [Date] { (0..<count).map { start.addingTimeInterval(Double($0)) } }
        #expect(policy.nextAllowedAttempt(failures: failures(2), now: start.addingTimeInterval(2)) == nil)
        let last3 = start.addingTimeInterval(2)
        #expect(policy.nextAllowedAttempt(failures: failures(3), now: last3) == last3.addingTimeInterval(2))
        let last4 = start.addingTimeInterval(3)
        #expect(policy.nextAllowedAttempt(failures: failures(4), now: last4) == last4.addingTimeInterval(4))
        let last9 = start.addingTimeInterval(8)
        #expect(policy.nextAllowedAttempt(failures: failures(9), now: last9) == last9.addingTimeInterval(10))
    }

    @Test func failuresOutsideTheWindowAreForgottenSoThereIsNoPermanentLockout() {
        let old = (0..<50).map { start.addingTimeInterval(Double($0)) }
        #expect(policy.nextAllowedAttempt(failures: old, now: start.addingTimeInterval(200)) == nil)
        #expect(policy.prune(old, now: start.addingTimeInterval(200)).isEmpty)
    }
}

@Suite struct ValueRuleTests {
    @Test func pageCursorsRoundTripAndRejectGarbage() {
        let cursor = PageCursor(sortKey: 1_795_639_280_443, id: "01cb1a84-fc46-4f83-815b-2b1caea5bb59")
        #expect(PageCursor(token: cursor.token) == cursor)
        #expect(PageCursor(token: "%%%") == nil)
        #expect(PageCursor(token: Data("12:'; DROP TABLE x".utf8).base64EncodedString()) == nil)
        #expect(PageSize.clamp(nil) == 25)
        #expect(PageSize.clamp(1000) == 100)
        #expect(PageSize.clamp(0) == 1)
    }

    @Test(arguments: [
        ("zh-CN,zh;q=0.9,en;q=0.8", UILocale.zhCN), ("en-US,en;q=0.9", .en), ("zh-TW", .zhCN), ("fr-FR, en;q=0.5", .en),
        ("de", .en), ("en;q=0.2, zh;q=0.8", .zhCN),
    ])
    func acceptLanguagePicksASupportedLocale(_ header: String, _ expected: UILocale) {
        #expect(UILocale.negotiate(acceptLanguage: header) == expected)
    }

    @Test func messagesNeedTextAndBoundedIds() {
        #expect(throws: ValidationFailure.self) { try NewMessage(direction: .outgoing, author: .system, text: " \n ").validate() }
        #expect(throws: ValidationFailure.self) {
            try NewMessage(direction: .outgoing, author: .system, text: String(repeating: "a", count: NewMessage.maxTextLength + 1)).validate()
        }
        #expect(throws: ValidationFailure.self) {
            try NewMessage(direction: .outgoing, author: .system, text: "hi", clientMessageId: "").validate()
        }
        #expect(throws: Never.self) { try NewMessage(direction: .outgoing, author: .system, text: "您好").validate() }
    }

    @Test func emailsAreNormalisedAndLooselyChecked() {
        #expect(EmailAddress.normalize("  Li.Wei@Example.CN ") == "li.wei@example.cn")
        #expect(EmailAddress.isPlausible("li.wei@example.cn"))
        #expect(!EmailAddress.isPlausible("li wei@example.cn"))
        #expect(!EmailAddress.isPlausible("li.wei@localhost"))
        #expect(!EmailAddress.isPlausible("@example.cn"))
        // Addresses as people write them pass...
        for good in ["li.wei+chat@example.cn", "o'brien@mail.example.co.uk", "x_y-z@xn--vctim-3qa.example", "12345@qq.com"] {
            #expect(EmailAddress.isPlausible(good), "\(good)")
        }
        // ...spellings of one mailbox, bytes a relay must not see and broken domains do not
        // (an outsider mailed one inbox 19 codes through quoted spellings).
        for bad in [
            "\"esc1\"@victim.example", "\"\\e\\s\\c1\"@victim.example", "a4@victim.example\u{0}evil", "<w14@victim.example>",
            "user%host@victim.example", "bang!path@victim.example", ".lead@victim.example", "dou..ble@victim.example",
            "x@-victim.example", "x@victim..example", "x@víctim.example", "x@victim.example。", "x@victim.123", String(repeating: "a", count: 65) + "@example.cn",
        ] {
            #expect(!EmailAddress.isPlausible(bad), "\(bad)")
        }
    }

    /// Limits "per address" stand for one client: an IPv4 address, or an IPv6 /64.
    @Test func clientNetworksGroupIPv6ByItsSlash64() {
        #expect(ClientNetwork.key("203.0.113.7") == "203.0.113.7")
        #expect(ClientNetwork.key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64")
        #expect(ClientNetwork.key("2001:0db8:0001:0002:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64")
        #expect(ClientNetwork.key("::ffff:198.51.100.4") == "198.51.100.4")
        #expect(ClientNetwork.key("fe80::1%eth0") == "fe80:0:0:0::/64")
        #expect(ClientNetwork.key(nil) == "unknown")
        #expect(ClientNetwork.key("not:an:address") == "not:an:address")
    }

    @Test func agentPasswordsAreLongAndNotTheEmail() {
        let policy = AgentPasswordPolicy()
        #expect(policy.violations(password: "short", email: "a@b.co").contains(.tooShort))
        #expect(policy.violations(password: "wangmin-password-2026", email: "wangmin@kefu.example").contains(.containsEmail))
        #expect(policy.violations(password: "aaaaaaaaaaaaaaaa", email: "x@kefu.example").contains(.repetitive))
        #expect(policy.violations(password: "correct horse battery", email: "x@kefu.example").isEmpty)
    }

    @Test func labelsAreNormalised() {
        #expect(ConversationLabel.normalize(" Withdrawal ") == "withdrawal")
        #expect(ConversationLabel.normalize("提现") == "提现")
        #expect(ConversationLabel.normalize("a b") == nil)
        #expect(ConversationLabel.normalize("") == nil)
    }

    @Test func antiPhishingCodesNameWhatIsWrong() {
        #expect(AntiPhishingCode.problems("青山绿水-42 🐬").isEmpty)
        #expect(AntiPhishingCode.trimmed("  蓝色海豚 ") == "蓝色海豚")
        // A code with markup or characters that change how it reads is refused for that, not for its length.
        #expect(AntiPhishingCode.problems("<") == [.rule("invalid_characters")])
        #expect(AntiPhishingCode.problems("a>b") == [.rule("invalid_characters")])
        #expect(AntiPhishingCode.problems("abc\u{202E}cba") == [.rule("invalid_characters")])
        #expect(AntiPhishingCode.problems("line\u{2028}two") == [.rule("invalid_characters")])
        #expect(AntiPhishingCode.problems("tab\there") == [.rule("invalid_characters")])
        #expect(AntiPhishingCode.problems(String(repeating: "码", count: 21)) == [.tooLong(max: 20)])
        #expect(AntiPhishingCode.problems("<" + String(repeating: "x", count: 20)) == [.rule("invalid_characters"), .tooLong(max: 20)])
        #expect(AntiPhishingCode.problems("") == [.required])
    }

    @Test func identifiersOnlyAcceptUUIDs() {
        #expect(ConversationID(validating: "01CB1A84-FC46-4F83-815B-2B1CAEA5BB59")?.rawValue == "01cb1a84-fc46-4f83-815b-2b1caea5bb59")
        #expect(ConversationID(validating: "1 OR 1=1") == nil)
    }
}

@Suite struct AttachmentPolicyTests {
    @Test func typesComeFromTheBytesNotTheName() {
        #expect(AttachmentPolicy.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]) == "image/png")
        #expect(AttachmentPolicy.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == "image/jpeg")
        #expect(AttachmentPolicy.sniff(Array("%PDF-1.7\n".utf8)) == "application/pdf")
        #expect(AttachmentPolicy.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == "image/webp")
        #expect(AttachmentPolicy.sniff(Array("<svg onload=alert(1)>".utf8)) == nil)
        #expect(AttachmentPolicy.sniff(Array("MZ\u{90}\u{0}".utf8)) == nil)
        #expect(AttachmentPolicy.sniff([UInt8]()) == nil)
    }

    @Test func fileNamesAreMadeHarmless() {
        #expect(AttachmentPolicy.safeFilename("../../etc/passwd", contentType: "application/pdf") == "passwd.pdf")
        #expect(AttachmentPolicy.safeFilename("截图 2026.PNG", contentType: "image/png") == "截图 2026.png")
        #expect(AttachmentPolicy.safeFilename("evil.html", contentType: "image/png") == "evil.png")
        #expect(AttachmentPolicy.safeFilename(nil, contentType: "image/jpeg") == "attachment.jpg")
        #expect(AttachmentPolicy.safeFilename("a\"b\u{0}c.pdf", contentType: "application/pdf") == "abc.pdf")
    }
}
