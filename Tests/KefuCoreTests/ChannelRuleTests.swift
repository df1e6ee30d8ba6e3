import Foundation
import KefuCore
import Testing

/// Pure rules the new channels rely on: where webhooks may go, how a chat message is threaded,
/// what a customer's edit records, and how an announcement reads as plain text.
@Suite struct ChannelRuleTests {
    @Test(arguments: [
        "127.0.0.1", "127.255.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.10", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
        "ff02::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:ffff:7f00:1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2001:db8::1",
        "::127.0.0.1", "fe80::1%eth0", "2002:a00:1::1", "2001:0:4136:e378::1", "64:ff9b:1::a00:1", "3fff::1", "4000::1",
    ])
    func nonPublicAddressesAreRefused(_ address: String) {
        #expect(!WebhookAddress.isPublic(address), "\(address)")
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "203.0.114.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2a00:1450::1"])
    func publicAddressesAreAllowed(_ address: String) {
        #expect(WebhookAddress.isPublic(address), "\(address)")
    }

    @Test func namesAndOddFormsAreNotAddresses() {
        // Decimal, hex and short forms are not literals to Kefu (they are resolved as names,
        // and what they resolve to is checked).
        for text in ["2130706433", "0x7f.1", "127.1", "localhost", "example.com", "1.2.3", "1.2.3.4.5", ":::", "1::2::3"] {
            #expect(!WebhookAddress.isLiteral(text) || !WebhookAddress.isPublic(text), "\(text)")
        }
        #expect(!WebhookAddress.isPublic("not an address"))
    }

    @Test func webhookURLsAreAbsoluteHTTPWithoutCredentials() {
        #expect(WebhookAddress.validURL("https://hooks.example.com/kefu?x=1") != nil)
        #expect(WebhookAddress.validURL(" http://hooks.example.com ") != nil)
        // Numeric hosts a resolver reads as octal, hex or short forms: not valid URLs at all.
        for sneaky in ["http://012.0.0.1/", "http://0x0a.0.0.1/", "http://2130706433/", "http://127.1/", "http://0x7f.1/", "http://10.0.0.010/"] {
            #expect(WebhookAddress.validURL(sneaky) == nil, "\(sneaky)")
        }
        #expect(WebhookAddress.validURL("http://203.0.113.10:8080/x") != nil)
        for bad in ["ftp://example.com/", "https://user:pw@example.com/", "/relative", "https://", "javascript:alert(1)", "https://" + String(repeating: "a", count: 2_001)] {
            #expect(WebhookAddress.validURL(bad) == nil, "\(bad)")
        }
    }

    @Test func aResolvedChatReopensOnlyWithinTheWindow() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let id = ConversationID.generate()
        func candidate(_ status: ConversationStatus, ago: TimeInterval) -> MailThreading.Candidate {
            .init(conversationId: id, contactId: ContactID.generate(), status: status, lastActivityAt: now.addingTimeInterval(-ago))
        }
        #expect(ChannelThreading.decide(latest: nil, now: now, reopenWindow: 3600) == .newConversation)
        #expect(ChannelThreading.decide(latest: candidate(.pending, ago: 999_999), now: now, reopenWindow: 3600) == .append(id, reopen: false))
        #expect(ChannelThreading.decide(latest: candidate(.resolved, ago: 60), now: now, reopenWindow: 3600) == .append(id, reopen: true))
        #expect(ChannelThreading.decide(latest: candidate(.resolved, ago: 7200), now: now, reopenWindow: 3600) == .newConversation)
    }

    @Test func editsAndChannelFailuresReadBackAsTheyWereWritten() {
        let message = MessageID.generate()
        for event in [SystemEvent.edited(message: message, text: "新的 文本 with spaces"), .deliveryFailed(outboxId: "abc", reason: "Telegram 403: Forbidden")] {
            #expect(SystemEvent(storedText: event.storedText) == event)
            #expect(event.customerVisibleStatus == nil)
        }
        #expect(SystemEvent(storedText: "edited not-an-id text") == .unknown("edited not-an-id text"))
    }

    @Test func announcementsReadAsPlainTextWithoutMarkup() {
        let markdown = "## 维护通知\n**充值不受影响**，详情见 [公告](https://example.com/a)。\n`code`"
        #expect(AnnouncementText.plain(markdown) == "维护通知\n充值不受影响，详情见 公告 (https://example.com/a)。\ncode")
        let text = AnnouncementText(titleEn: " ", titleZh: "标题", bodyEn: "b", bodyZh: String(repeating: "长", count: 3_001))
        #expect(text.problems().fields.map(\.0) == ["titleEn", "bodyZh"])
    }
}
