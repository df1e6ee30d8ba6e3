import Foundation
import KefuCore
import Testing

@Suite struct CustomerPasswordPolicyTests {
    let policy = CustomerPasswordPolicy(commonPasswords: ["password", "dragon", "qwerty123"])

    @Test func everyBrokenRuleIsNamed() {
        #expect(policy.broken("abc", email: "li@example.cn") == [.tooShort, .needsDigit, .needsSymbol])
        #expect(policy.broken("1234567890!", email: "li@example.cn") == [.needsLetter])
        #expect(policy.broken("Password2024!", email: "li@example.cn") == [.common])  // a common word with a suffix is still common
        #expect(policy.broken("li.wei.rocks-2026", email: "li.wei@example.cn").contains(.containsEmail))
        #expect(policy.broken(String(repeating: "a1!", count: 100), email: "x@example.cn") == [.tooLong])
    }

    @Test func longPassphrasesInAnyScriptAreWelcome() {
        #expect(policy.broken("我的钱包密码是 2026 年！", email: "li@example.cn").isEmpty)
        #expect(policy.broken("correct horse battery staple 7", email: "li@example.cn").isEmpty)
        #expect(policy.broken(String(repeating: "长", count: 60) + "1!", email: "li@example.cn").isEmpty)
        // Compatibility forms count as what they look like (full-width digits are digits).
        #expect(policy.broken("ｍｙｗａｌｌｅｔ２０２６！", email: "li@example.cn").isEmpty)
    }

    @Test func theLengthsAreConfigurableButNeverBelowNISTsSixtyFour() {
        let strict = CustomerPasswordPolicy(minLength: 14, maxLength: 20)
        #expect(strict.maxLength == 64)
        #expect(strict.broken("short1!a", email: "x@y.z") == [.tooShort])
    }
}
