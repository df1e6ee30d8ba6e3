import Foundation
import KefuAccounts
import KefuCore
import KefuStore
import Logging
import Synchronization

/// Records the notices a service would mail, in order.
public final class RecordingNotifier: CustomerNotifier {
    public struct Notice: Sendable {
        public let to: String
        public let subject: String
        public let text: String
    }

    private let notices = Mutex<[Notice]>([])

    public init() {}

    public func sendNotice(to address: String, subject: String, text: String, key: String) async throws {
        notices.withLock { $0.append(Notice(to: address, subject: subject, text: text)) }
    }

    public var sent: [Notice] { notices.withLock { $0 } }
}

/// The accounts service as the application builds it, over a test store: a cheap bcrypt, the
/// standard password policy, a notifier that records, a clock the test may move.
public enum TestAccounts {
    public static func service(
        store: SQLStore, notifier: RecordingNotifier, now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> AccountService {
        let hasher = PasswordHasher(cost: 4)
        let secret = Data(repeating: 9, count: 32)
        return AccountService(
            store: store, hasher: hasher, policy: CustomerPasswordPolicy(), mailer: notifier, throttler: LoginThrottler(),
            background: BackgroundWork(logger: Logger(label: "test")), dummyHash: try await hasher.dummyHash(),
            settings: .init(publicURL: "https://kefu.test"),
            twoFactor: AccountTwoFactor(store: store, secretKey: secret, withdrawalLock: 86400, now: now), devices: KnownDevices(secretKey: secret),
            now: now)
    }
}
