import Foundation
import KefuChannels
import Testing

/// Updates as the Bot API documents them (https://core.telegram.org/bots/api#update), decoded
/// and sorted into what support must see and what it must ignore.
@Suite struct TelegramInboundTests {
    static let bot = (username: "KefuWalletBot", id: Int64(7_000_000_001))

    static func update(_ json: String) throws -> Telegram.Update {
        try TelegramJSON.decoder.decode(Telegram.Update.self, from: Data(json.utf8))
    }

    static func classify(_ json: String) throws -> TelegramInbound {
        TelegramInbound.classify(try update(json), botUsername: bot.username, botId: bot.id)
    }

    static let privatePhoto = """
        {"update_id": 9001, "message": {"message_id": 17, "date": 1796000000,
          "from": {"id": 424242, "is_bot": false, "first_name": "伟", "last_name": "李", "username": "liwei", "language_code": "zh-hans"},
          "chat": {"id": 424242, "type": "private", "first_name": "伟"},
          "caption": "提现一直在审核中 🙏",
          "photo": [{"file_id": "AgAD-small", "file_unique_id": "u1", "width": 90, "height": 67, "file_size": 1200},
                    {"file_id": "AgAD-large", "file_unique_id": "u2", "width": 1280, "height": 960, "file_size": 98000}],
          "some_field_from_a_newer_api": {"x": 1}}}
        """

    @Test func aPrivateMessageDecodesWithItsSenderFilesAndCaption() throws {
        let update = try Self.update(Self.privatePhoto)
        #expect(update.updateId == 9001)
        let message = try #require(update.message)
        #expect(message.from?.languageCode == "zh-hans" && message.from?.lastName == "李")
        #expect(message.photo?.last?.fileId == "AgAD-large" && message.photo?.last?.fileSize == 98000)
        #expect(message.caption == "提现一直在审核中 🙏")
        guard case .customerMessage(let classified) = try Self.classify(Self.privatePhoto) else { Issue.record("not a customer message"); return }
        #expect(classified.messageId == 17)
    }

    @Test func inGroupsOnlyMentionsAndRepliesToTheBotCount() throws {
        func group(_ text: String, entities: String = "[]", reply: String = "null", sender: String = #"{"id": 5, "is_bot": false, "first_name": "Ann"}"#) -> String {
            """
            {"update_id": 1, "message": {"message_id": 3, "date": 1796000000, "from": \(sender),
              "chat": {"id": -1001234, "type": "supergroup", "title": "Kefu Wallet 中文社区"},
              "text": "\(text)", "entities": \(entities), "reply_to_message": \(reply)}}
            """
        }
        #expect(try Self.classify(group("gm everyone")) == .ignored)
        // "🙏 @KefuWalletBot": the emoji is two UTF-16 units, so the mention starts at 3.
        guard case .customerMessage = try Self.classify(group("🙏 @kefuwalletbot help", entities: #"[{"type": "mention", "offset": 3, "length": 14}]"#))
        else { Issue.record("a mention of the bot was ignored"); return }
        #expect(try Self.classify(group("🙏 @OtherBot help", entities: #"[{"type": "mention", "offset": 3, "length": 9}]"#)) == .ignored)
        guard case .customerMessage = try Self.classify(group("still waiting", reply: #"{"message_id": 2, "from": {"id": 7000000001, "is_bot": true, "first_name": "Kefu"}}"#))
        else { Issue.record("a reply to the bot was ignored"); return }
        #expect(try Self.classify(group("me too", reply: #"{"message_id": 2, "from": {"id": 6, "is_bot": false, "first_name": "Bo"}}"#)) == .ignored)
        // Other bots never open conversations, even when they mention Kefu's.
        #expect(try Self.classify(group("@KefuWalletBot", entities: #"[{"type": "mention", "offset": 0, "length": 14}]"#, sender: #"{"id": 9, "is_bot": true, "first_name": "Spam"}"#)) == .ignored)
    }

    @Test func startAndHelpAreCommandsOnlyForThisBot() throws {
        func command(_ text: String, length: Int) -> String {
            """
            {"update_id": 2, "message": {"message_id": 1, "date": 1796000000, "from": {"id": 8, "is_bot": false, "first_name": "Sam", "language_code": "en"},
              "chat": {"id": 8, "type": "private"}, "text": "\(text)", "entities": [{"type": "bot_command", "offset": 0, "length": \(length)}]}}
            """
        }
        guard case .command("start", _) = try Self.classify(command("/start", length: 6)) else { Issue.record("/start"); return }
        guard case .command("help", _) = try Self.classify(command("/help@KefuWalletBot", length: 19)) else { Issue.record("/help@bot"); return }
        // Another bot's command, or any other command, is the customer talking.
        guard case .customerMessage = try Self.classify(command("/start@OtherBot", length: 15)) else { Issue.record("/start@other"); return }
        guard case .customerMessage = try Self.classify(command("/refund", length: 7)) else { Issue.record("/refund"); return }
    }

    @Test func editsChannelPostsAndErrorsDecode() throws {
        let edit = """
            {"update_id": 3, "edited_message": {"message_id": 17, "date": 1796000000, "edit_date": 1796000100,
              "from": {"id": 424242, "is_bot": false, "first_name": "伟"}, "chat": {"id": 424242, "type": "private"}, "text": "更正：是 USDT"}}
            """
        guard case .edit(let message) = try Self.classify(edit) else { Issue.record("an edit was not recognised"); return }
        #expect(message.editDate == 1_796_000_100)
        #expect(try Self.classify(#"{"update_id": 4, "channel_post": {"message_id": 1, "date": 1, "chat": {"id": -100, "type": "channel"}}}"#) == .ignored)
        let flood = try TelegramJSON.decoder.decode(
            Telegram.Response<Bool>.self,
            from: Data(#"{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}}"#.utf8))
        #expect(!flood.ok && flood.errorCode == 429 && flood.parameters?.retryAfter == 7 && flood.result == nil)
        let file = try TelegramJSON.decoder.decode(
            Telegram.Response<Telegram.File>.self,
            from: Data(#"{"ok": true, "result": {"file_id": "AgAD", "file_unique_id": "u", "file_size": 98000, "file_path": "photos/file_1.jpg"}}"#.utf8))
        #expect(file.result?.filePath == "photos/file_1.jpg")
    }
}
