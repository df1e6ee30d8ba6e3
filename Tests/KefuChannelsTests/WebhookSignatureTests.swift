import Foundation
import KefuChannels
import Testing

@Suite struct WebhookSignatureTests {
    /// The Standard Webhooks spec's example; the Python `standardwebhooks` package gives the same.
    static let secret = WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = Data(#"{"test": 2432232314}"#.utf8)
    static let at = Date(timeIntervalSince1970: 1_614_265_330)

    @Test func signsAsTheSpecsExample() {
        #expect(WebhookSignature.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: [Self.secret])
            == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func aRotationSignsWithBothSecretsAndEitherVerifies() {
        let next = WebhookSecret.generate()
        let header = WebhookSignature.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: [Self.secret, next])
        #expect(header.split(separator: " ").count == 2)
        for secret in [Self.secret, next] {
            #expect(WebhookSignature.verify(header: header, id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: secret, now: Self.at))
        }
        #expect(!WebhookSignature.verify(
            header: header, id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: .generate(), now: Self.at))
    }

    @Test func aChangedBodyIdOrAnOldTimestampFails() {
        let header = WebhookSignature.sign(id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: [Self.secret])
        #expect(!WebhookSignature.verify(
            header: header, id: Self.id, timestamp: Self.timestamp, body: Data(#"{"test": 2432232315}"#.utf8), secret: Self.secret, now: Self.at))
        #expect(!WebhookSignature.verify(header: header, id: "msg_other", timestamp: Self.timestamp, body: Self.body, secret: Self.secret, now: Self.at))
        #expect(!WebhookSignature.verify(
            header: header, id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: Self.secret, now: Self.at.addingTimeInterval(301)))
        #expect(!WebhookSignature.verify(header: "v2," + header.dropFirst(3), id: Self.id, timestamp: Self.timestamp, body: Self.body, secret: Self.secret, now: Self.at))
    }

    @Test func secretsAreReadStrictlyAndShownWithTheirPrefix() {
        let made = WebhookSecret.generate()
        #expect(made.text.hasPrefix("whsec_") && WebhookSecret(made.text) == made)
        #expect(WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == Self.secret)
        for junk in ["", "whsec_", "whsec_not base64!", "whsec_" + Data(repeating: 1, count: 8).base64EncodedString()] {
            #expect(WebhookSecret(junk) == nil, "\(junk)")
        }
    }
}
