import Foundation
import KefuAccounts
import KefuWeb
import Testing

@Suite struct TOTPServiceTests {
    /// RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last six digits.
    @Test(arguments: [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")])
    func matchesTheRFCTestVectors(_ time: Int, _ expected: String) {
        let service = TOTPService()
        let step = TOTPService.step(at: Date(timeIntervalSince1970: Double(time)))
        #expect(service.code(secret: "12345678901234567890", step: step) == expected)
    }

    @Test func acceptsOneStepOfDriftAndNoMore() {
        let service = TOTPService()
        let secret = service.newSecret()
        #expect(secret.count == 32)
        let now = Date()
        let step = TOTPService.step(at: now)
        #expect(service.matchingStep(secret: secret, code: service.code(secret: secret, step: step - 1), now: now) == step - 1)
        #expect(service.matchingStep(secret: secret, code: service.code(secret: secret, step: step + 1), now: now) == step + 1)
        let far = service.code(secret: secret, step: step + 3)
        if ![step - 1, step, step + 1].contains(where: { service.code(secret: secret, step: $0) == far }) {
            #expect(service.matchingStep(secret: secret, code: far, now: now) == nil)
        }
        #expect(service.matchingStep(secret: secret, code: "abcdef", now: now) == nil)
        #expect(service.matchingStep(secret: secret, code: "１２３４５６", now: now) == nil)
    }
}
