import Foundation

/// Text shown to customers, in every language Kefu speaks.
public struct LocalizedText: Sendable, Equatable, Codable {
    public var en: String
    public var zhCN: String

    enum CodingKeys: String, CodingKey {
        case en
        case zhCN = "zh-CN"
    }

    public init(en: String, zhCN: String) {
        self.en = en
        self.zhCN = zhCN
    }

    public subscript(locale: UILocale) -> String {
        switch locale {
        case .en: en
        case .zhCN: zhCN
        }
    }
}

/// What the widget asks a visitor before the chat starts, set per webchat inbox by an admin.
/// Every field can be asked as optional, required, or not at all; the topics become the
/// label of the conversation the visitor starts, so agents can filter by them.
public struct PrechatForm: Sendable, Equatable, Codable {
    public enum Ask: String, Sendable, Codable, CaseIterable {
        case hidden
        case optional
        case required
    }

    public struct Topic: Sendable, Equatable, Codable {
        /// The conversation label: lower-case letters, digits and dashes.
        public var key: String
        public var label: LocalizedText

        public init(key: String, label: LocalizedText) {
            self.key = key
            self.label = label
        }
    }

    public var name: Ask
    public var email: Ask
    public var walletUid: Ask
    public var topic: Ask
    public var topics: [Topic]

    public init(name: Ask, email: Ask, walletUid: Ask, topic: Ask, topics: [Topic]) {
        self.name = name
        self.email = email
        self.walletUid = walletUid
        self.topic = topic
        self.topics = topics
    }

    public static let maxTopics = 12
    public static let maxLabelLength = 40

    /// What a new webchat inbox asks: everything, nothing required, the wallet's common topics.
    public static let standard = PrechatForm(
        name: .optional, email: .optional, walletUid: .optional, topic: .optional,
        topics: [
            Topic(key: "login", label: LocalizedText(en: "Login or password", zhCN: "登录或密码")),
            Topic(key: "transfer", label: LocalizedText(en: "Transfer", zhCN: "转账")),
            Topic(key: "withdrawal-limit", label: LocalizedText(en: "Withdrawal limit", zhCN: "提现额度")),
            Topic(key: "security", label: LocalizedText(en: "Account security", zhCN: "账户安全")),
            Topic(key: "other", label: LocalizedText(en: "Something else", zhCN: "其他问题")),
        ])

    /// True when the form asks nothing: the widget goes straight to the chat.
    public var asksNothing: Bool {
        [name, email, walletUid, topic].allSatisfy { $0 == .hidden }
    }

    /// Every problem with a form an admin submitted, as field paths ("topics[2].key").
    public func problems() -> ValidationFailure {
        var failure = ValidationFailure()
        if topic != .hidden && topics.isEmpty { failure.add("topics", .required) }
        if topics.count > Self.maxTopics { failure.add("topics", .tooLong(max: Self.maxTopics)) }
        var seen = Set<String>()
        for (index, topic) in topics.enumerated() {
            let path = "topics[\(index)]"
            if !Self.isValidKey(topic.key) { failure.add("\(path).key", .invalid) }
            if !seen.insert(topic.key).inserted { failure.add("\(path).key", .rule("duplicate")) }
            for (language, text) in [("en", topic.label.en), ("zh-CN", topic.label.zhCN)] {
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty { failure.add("\(path).label.\(language)", .required) }
                if trimmed.count > Self.maxLabelLength || trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                    failure.add("\(path).label.\(language)", trimmed.count > Self.maxLabelLength ? .tooLong(max: Self.maxLabelLength) : .invalid)
                }
            }
        }
        return failure
    }

    /// The same form with labels trimmed, as it is stored.
    public func normalized() -> PrechatForm {
        var copy = self
        copy.topics = topics.map {
            Topic(
                key: $0.key,
                label: LocalizedText(
                    en: $0.label.en.trimmingCharacters(in: .whitespacesAndNewlines),
                    zhCN: $0.label.zhCN.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return copy
    }

    /// 1–40 characters of a-z, 0-9 and "-", not starting with "-".
    public static func isValidKey(_ key: String) -> Bool {
        guard (1...40).contains(key.count), key.first != "-" else { return false }
        return key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// What a visitor answered, checked against this form. Fields the form does not ask, and
    /// topics it does not offer, are dropped (an old widget page may still send them); required
    /// ones must be present.
    public func check(_ answers: Answers) -> (answers: Answers, failure: ValidationFailure) {
        var kept = Answers()
        var failure = ValidationFailure()
        func apply(_ ask: Ask, _ field: String, _ value: String?, into keyPath: WritableKeyPath<Answers, String?>) {
            let present = value.flatMap { $0.isEmpty ? nil : $0 }
            switch ask {
            case .hidden: return
            case .optional: kept[keyPath: keyPath] = present
            case .required:
                if present == nil { failure.add(field, .required) }
                kept[keyPath: keyPath] = present
            }
        }
        apply(name, "name", answers.name, into: \.name)
        apply(email, "email", answers.email, into: \.email)
        apply(walletUid, "walletUid", answers.walletUid, into: \.walletUid)
        // A topic this form does not offer (a page loaded before the admin changed the topics)
        // counts as no answer: it never stops a customer from starting a chat, unless a topic
        // is required, and then the form asks again.
        // Longer than any key can be: not an old page's answer but a broken request.
        if let chosen = answers.topic, chosen.count > 40 { failure.add("topic", .tooLong(max: 40)) }
        let offered = answers.topic.flatMap { chosen in topics.contains(where: { $0.key == chosen }) ? chosen : nil }
        apply(topic, "topic", offered, into: \.topic)
        return (kept, failure)
    }

    /// A visitor's answers to the form (trimmed, empty meaning not given).
    public struct Answers: Sendable, Equatable {
        public var name: String?
        public var email: String?
        public var walletUid: String?
        public var topic: String?

        public init(name: String? = nil, email: String? = nil, walletUid: String? = nil, topic: String? = nil) {
            self.name = name
            self.email = email
            self.walletUid = walletUid
            self.topic = topic
        }
    }
}
