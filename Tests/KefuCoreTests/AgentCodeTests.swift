import Foundation
import KefuCore
import Testing

@Suite struct AgentCodeTests {
    @Test func codesAreReadAsPeopleTypeThem() {
        #expect(AgentCode.normalized("ABCD-EFGH") == "ABCDEFGH")
        #expect(AgentCode.normalized(" abcd efgh ") == "ABCDEFGH")
        #expect(AgentCode.normalized("ＡＢＣＤ－ＥＦＧＨ") == "ABCDEFGH")
        #expect(AgentCode.display("ABCDEFGH") == "ABCD-EFGH")
        // Look-alikes are not in the alphabet, so a mistyped code is refused rather than misread.
        for bad in ["ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGI", "ABCD-EFGL", "ABCD-EFGO", "", String(repeating: "A", count: 100)] {
            #expect(AgentCode.normalized(bad) == nil, "\(bad)")
        }
    }

    @Test func randomCodesUseTheWholeAlphabetAndRarelyRepeat() {
        let codes = (0..<2_000).map { _ in AgentCode.random() }
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { AgentCode.normalized($0) == $0 })
        #expect(Set(codes.joined()) == Set(AgentCode.alphabet))
    }

    @Test func aCodeLastsSevenDaysAfterItsDay() {
        let noon = Date(timeIntervalSince1970: 1_800_000_000)
        let day = AgentCode.day(of: noon)
        #expect(AgentCode.day(of: noon.addingTimeInterval(-Double(Int(noon.timeIntervalSince1970) % 86_400))) == day)
        let expiry = AgentCode.expiry(ofDay: day)
        #expect(expiry.timeIntervalSince(noon) > 7 * 86_400 && expiry.timeIntervalSince(noon) <= 8 * 86_400)
    }
}
