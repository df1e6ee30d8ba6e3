import Foundation

/// The parts of the Telegram Bot API (https://core.telegram.org/bots/api) that Kefu reads, as
/// Telegram sends them (snake_case JSON, decoded with `TelegramJSON.decoder`). Fields Kefu does
/// not use are not declared; unknown fields are ignored, so newer Bot API versions decode.
public enum Telegram {
    /// Every Bot API answer: `ok` with a `result`, or `ok: false` with why.
    public struct Response<Result: Decodable & Sendable>: Decodable, Sendable {
        public var ok: Bool
        public var result: Result?
        public var description: String?
        public var errorCode: Int?
        public var parameters: ResponseParameters?
    }

    public struct ResponseParameters: Decodable, Sendable, Equatable {
        /// Flood control: seconds before the request may be repeated (with HTTP 429).
        public var retryAfter: Int?
        /// The group became a supergroup with this id.
        public var migrateToChatId: Int64?
    }

    public struct Update: Decodable, Sendable, Equatable {
        public var updateId: Int64
        public var message: Message?
        public var editedMessage: Message?
        /// A press on one of the bot's inline buttons (a survey rating).
        public var callbackQuery: CallbackQuery?
    }

    public struct CallbackQuery: Decodable, Sendable, Equatable {
        public var id: String
        public var from: User
        /// The bot's message the button was under (absent when too old for Telegram to say).
        public var message: Message?
        public var data: String?
    }

    /// An update as it came, whether or not Kefu can read it: one it cannot (a shape a newer Bot
    /// API sends) must still move the offset on, or it would block every update after it.
    public struct ReceivedUpdate: Decodable, Sendable {
        public var updateId: Int64
        public var update: Update?

        enum Keys: String, CodingKey { case updateId }

        public init(from decoder: any Decoder) throws {
            updateId = try decoder.container(keyedBy: Keys.self).decode(Int64.self, forKey: .updateId)
            update = try? Update(from: decoder)
        }
    }

    public struct User: Decodable, Sendable, Equatable {
        public var id: Int64
        public var isBot: Bool
        public var firstName: String
        public var lastName: String?
        public var username: String?
        /// IETF language tag of the user's client ("zh-hans", "en").
        public var languageCode: String?
    }

    public struct Chat: Decodable, Sendable, Equatable {
        public enum Kind: String, Decodable, Sendable {
            case `private`, group, supergroup, channel
        }

        public var id: Int64
        public var type: Kind
        public var title: String?
        public var username: String?
    }

    public struct Message: Decodable, Sendable, Equatable {
        public var messageId: Int64
        public var from: User?
        public var chat: Chat
        public var date: Int64
        public var editDate: Int64?
        public var text: String?
        public var caption: String?
        public var entities: [MessageEntity]?
        public var captionEntities: [MessageEntity]?
        public var photo: [PhotoSize]?
        public var document: Document?
        public var voice: Voice?
        public var video: Video?
        public var sticker: Sticker?
        /// Only its id and sender matter here (a reply to the bot in a group).
        public var replyToMessage: RepliedMessage?
    }

    /// The message a message replies to (not decoded further: Telegram nests one level).
    public struct RepliedMessage: Decodable, Sendable, Equatable {
        public var messageId: Int64
        public var from: User?
    }

    public struct MessageEntity: Decodable, Sendable, Equatable {
        /// "mention" (@username), "bot_command" (/start), "text_mention" (a user without username)…
        public var type: String
        /// In UTF-16 code units, as Telegram counts.
        public var offset: Int
        public var length: Int
    }

    public struct PhotoSize: Decodable, Sendable, Equatable {
        public var fileId: String
        public var fileUniqueId: String
        public var width: Int
        public var height: Int
        public var fileSize: Int64?
    }

    public struct Document: Decodable, Sendable, Equatable {
        public var fileId: String
        public var fileUniqueId: String
        public var fileName: String?
        public var mimeType: String?
        public var fileSize: Int64?
    }

    public struct Voice: Decodable, Sendable, Equatable {
        public var fileId: String
        public var fileUniqueId: String
        public var duration: Int
        public var mimeType: String?
        public var fileSize: Int64?
    }

    public struct Video: Decodable, Sendable, Equatable {
        public var fileId: String
        public var fileUniqueId: String
        public var fileName: String?
        public var mimeType: String?
        public var fileSize: Int64?
    }

    public struct Sticker: Decodable, Sendable, Equatable {
        public var fileId: String
        public var fileUniqueId: String
        public var emoji: String?
        public var fileSize: Int64?
    }

    /// `getFile`'s answer: where to download it from (`{base}/file/bot{token}/{file_path}`).
    public struct File: Decodable, Sendable, Equatable {
        public var fileId: String
        public var fileUniqueId: String
        public var fileSize: Int64?
        public var filePath: String?
    }
}

public enum TelegramJSON {
    /// Telegram's JSON is snake_case; Swift's names are not.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
