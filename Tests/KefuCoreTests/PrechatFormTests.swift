import Foundation
import KefuCore
import Testing

@Suite struct PrechatFormTests {
    @Test func theStandardFormIsValidAndAsksEverythingOptionally() {
        #expect(PrechatForm.standard.problems().isEmpty)
        #expect(!PrechatForm.standard.asksNothing)
        #expect(PrechatForm.standard.topics.map(\.key) == ["login", "transfer", "withdrawal-limit", "security", "other"])
    }

    @Test func anAdminsFormIsCheckedTopicByTopic() {
        var form = PrechatForm.standard
        form.topics = [
            .init(key: "kyc", label: .init(en: "Verification", zhCN: "身份认证")),
            .init(key: "Bad Key", label: .init(en: "x", zhCN: "x")),
            .init(key: "kyc", label: .init(en: "  ", zhCN: String(repeating: "长", count: 41))),
            .init(key: "-lead", label: .init(en: "a\u{7}b", zhCN: "好")),
        ]
        let names = form.problems().fields.map { "\($0.name):\($0.problem.code)" }
        #expect(
            names == [
                "topics[1].key:invalid", "topics[2].key:duplicate", "topics[2].label.en:required", "topics[2].label.zh-CN:too_long",
                "topics[3].key:invalid", "topics[3].label.en:invalid",
            ])
        // Asking for a topic needs something to choose; not asking needs nothing.
        form.topics = []
        #expect(form.problems().fields.map(\.name) == ["topics"])
        form.topic = .hidden
        #expect(form.problems().isEmpty)
        form.topics = Array(repeating: PrechatForm.standard.topics[0], count: 13).enumerated().map {
            .init(key: "t\($0.offset)", label: $0.element.label)
        }
        #expect(form.problems().fields.map(\.problem) == [.tooLong(max: 12)])
    }

    @Test func answersAreKeptRequiredOrDroppedAsTheFormSays() {
        let form = PrechatForm(
            name: .hidden, email: .required, walletUid: .optional, topic: .required,
            topics: [.init(key: "kyc", label: .init(en: "Verification", zhCN: "身份认证"))])
        let missing = form.check(.init(name: "Li", email: "", walletUid: nil, topic: nil))
        #expect(missing.failure.fields.map(\.name) == ["email", "topic"])
        #expect(missing.answers.name == nil)  // not asked: dropped, never stored
        // A topic the form no longer offers is no answer: required, so asked again.
        let wrongTopic = form.check(.init(email: "li@example.cn", topic: "login"))
        #expect(wrongTopic.failure.fields.map(\.name) == ["topic"])
        #expect(wrongTopic.failure.fields.map(\.problem) == [.required])
        #expect(PrechatForm.standard.check(.init(topic: "refund")) == (answers: .init(), failure: ValidationFailure()))
        let good = form.check(.init(name: "Li", email: "li@example.cn", walletUid: "U-1", topic: "kyc"))
        #expect(good.failure.isEmpty)
        #expect(good.answers == .init(email: "li@example.cn", walletUid: "U-1", topic: "kyc"))
        let nothing = PrechatForm(name: .hidden, email: .hidden, walletUid: .hidden, topic: .hidden, topics: [])
        #expect(nothing.asksNothing)
        #expect(nothing.check(.init(name: "x", topic: "login")).failure.isEmpty)
    }

    @Test func labelsAreStoredTrimmedAndRoundTripAsJSON() throws {
        var form = PrechatForm.standard
        form.topics = [.init(key: "kyc", label: .init(en: " Verification ", zhCN: "\u{3000}身份认证"))]
        let normalized = form.normalized()
        #expect(normalized.topics[0].label == .init(en: "Verification", zhCN: "身份认证"))
        let json = try JSONEncoder().encode(normalized)
        #expect(String(decoding: json, as: UTF8.self).contains(#""zh-CN":"身份认证""#))
        #expect(try JSONDecoder().decode(PrechatForm.self, from: json) == normalized)
    }

    @Test func agentPicturesAreImagesOnly() {
        #expect(AgentAvatar.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]) == "image/png")
        #expect(AgentAvatar.sniff(Array("%PDF-1.7 xxxxxx".utf8)) == nil)
        #expect(AgentAvatar.sniff(Array("<svg onload=alert(1)>".utf8)) == nil)
        let id = AgentID.generate()
        #expect(AgentAvatar.url(agentId: id, sha256: String(repeating: "ab", count: 32)) == "/avatars/\(id.rawValue)?v=abababababababab")
    }
}
