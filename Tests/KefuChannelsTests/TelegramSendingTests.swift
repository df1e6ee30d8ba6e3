import Foundation
import KefuCore
import KefuStore
import Testing

@testable import KefuChannels

/// What the Telegram sender keeps to by itself: Telegram's rate limits and message length, and
/// how announcements are addressed.
@Suite struct TelegramSendingTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aPrivateChatGetsOneMessageASecond() {
        var limits = TelegramRateLimits()
        #expect(limits.wait(for: "42", now: start) == 0)
        limits.record("42", at: start)
        #expect(abs(limits.wait(for: "42", now: start.addingTimeInterval(0.25)) - 0.75) < 0.001)
        #expect(limits.wait(for: "43", now: start.addingTimeInterval(0.25)) == 0)
        #expect(limits.wait(for: "42", now: start.addingTimeInterval(1)) == 0)
    }

    @Test func aGroupGetsTwentyAMinuteAndTheBotThirtyASecond() {
        var limits = TelegramRateLimits()
        for index in 0..<20 { limits.record("-100777", at: start.addingTimeInterval(Double(index))) }
        let wait = limits.wait(for: "-100777", now: start.addingTimeInterval(20))
        #expect(abs(wait - 40) < 0.001)
        #expect(limits.wait(for: "@wallet_news", now: start.addingTimeInterval(20)) == 0)

        var busy = TelegramRateLimits()
        for index in 0..<30 { busy.record("\(1_000 + index)", at: start.addingTimeInterval(Double(index) / 100)) }
        #expect(busy.wait(for: "5", now: start.addingTimeInterval(0.3)) > 0.6)
        busy.pause(until: start.addingTimeInterval(10))
        #expect(busy.wait(for: "6", now: start.addingTimeInterval(2)) >= 8)
    }

    @Test func longRepliesGoInPiecesTelegramAccepts() {
        let long = String(repeating: "提币说明 😀 line\n", count: 800)
        let payload = ChannelPayload(text: long, files: [.init(sha256: "a", contentType: "image/png", filename: "a.png")])
        let pieces = payload.textPieces
        #expect(pieces.count > 1)
        #expect(pieces.allSatisfy { $0.utf16.count <= 4_000 })
        #expect(pieces.joined() == long)
        #expect(payload.parts == pieces.indices.map { "text:\($0)" } + ["file:0"])
        #expect(ChannelPayload(text: "  \n", files: []).parts.isEmpty)

        // One character wider than a piece (a letter and thousands of combining marks) is cut
        // at a scalar boundary instead of looping.
        let zalgo = "a" + String(repeating: "\u{0301}", count: 9_000) + " end"
        let cut = ChannelPayload(text: zalgo).textPieces
        #expect(cut.count == 3 && cut.allSatisfy { $0.utf16.count <= 4_000 } && cut.joined().unicodeScalars.count == zalgo.unicodeScalars.count)
    }

    @Test func announcementTargetsAreChannelsWithAnOptionalLanguage() {
        for good in ["@wallet_news", "@wallet_cn=zh-CN", "@Wallet_2024=en", "-1001234567890"] { #expect(Announcements.isValidTarget(good), "\(good)") }
        for bad in ["wallet_news", "@abc", "@wallet news", "@wallet_news=fr", "12345", "-", "@" + String(repeating: "a", count: 33)] {
            #expect(!Announcements.isValidTarget(bad), "\(bad)")
        }
        let text = AnnouncementText(titleEn: "Maintenance", titleZh: "维护", bodyEn: "**Soon**", bodyZh: "**即将**")
        #expect(Announcements.post(text, locale: "en") == "Maintenance\n\nSoon")
        #expect(Announcements.post(text, locale: nil).hasPrefix("维护\n\n即将") && Announcements.post(text, locale: nil).hasSuffix("Maintenance\n\nSoon"))
    }

    @Test func aChatHasASubjectFromItsFirstLine() {
        #expect(TelegramIngest.subject(text: "提币没到账\n第二行", group: nil) == "提币没到账")
        #expect(TelegramIngest.subject(text: "@bot 求助", group: "钱包社区") == "钱包社区: @bot 求助")
        #expect(TelegramIngest.subject(text: "", group: nil) == nil)
    }

    @Test func tokensAreCheckedForShapeBeforeTelegramIsAsked() {
        #expect(TelegramBots.isWellFormed("123456789:AAE" + String(repeating: "x", count: 32)))
        for bad in ["", "123456789", "abc:" + String(repeating: "x", count: 35), "123:" + String(repeating: "x", count: 10), "123:" + String(repeating: "x", count: 34) + "/"] {
            #expect(!TelegramBots.isWellFormed(bad), "\(bad)")
        }
    }
}
