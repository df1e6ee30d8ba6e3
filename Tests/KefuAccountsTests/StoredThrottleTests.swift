import Foundation
import KefuAccounts
import KefuCore
import KefuStore
import KefuTestSupport
import Logging
import SQLKit
import Testing

/// The throttle several instances share through the database.
@Suite struct StoredThrottleTests {
    /// Two instances' throttles on one database, a burst spread over both at one instant:
    /// exactly the policy's free attempts get through, as on one instance.
    @Test(arguments: TestBackend.available)
    func aBurstOverTwoInstancesIsAdmittedUpToThePolicy(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend) { store in
            let instances = [0, 1].map { _ in StoredThrottle(store: store, logger: Logger(label: "test"), now: { clock.now }) }
            let granted = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<60 {
                    group.addTask {
                        if case .granted = await instances[index % 2].reserve([("account:li", .perAccount), ("address:\(index)", .perAddress)]) {
                            return true
                        }
                        return false
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(granted == ThrottlePolicy.perAccount.freeAttempts)
        }
    }

    /// Attempts are stored to the millisecond; a clock between two milliseconds must still get
    /// the policy's own delay back (2 s, not a rounded-up 3 s Retry-After).
    @Test(arguments: TestBackend.available)
    func theWaitIsThePolicysDelayWhateverTheClocksFraction(_ backend: TestBackend) async throws {
        for fraction in [0.0001, 0.0004, 0.0006, 0.0009] {
            let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000 + fraction))
            try await withTestStore(backend) { store in
                let throttle = StoredThrottle(store: store, logger: Logger(label: "test"), now: { clock.now })
                let keys: [(String, ThrottlePolicy)] = [("account:li", .perAccount)]
                for _ in 0..<ThrottlePolicy.perAccount.freeAttempts { _ = await throttle.reserve(keys) }
                guard case .wait(let seconds) = await throttle.reserve(keys) else {
                    Issue.record("not throttled")
                    return
                }
                #expect(seconds == Int(ThrottlePolicy.perAccount.baseDelay), "fraction \(fraction)")
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aGivenBackAttemptNoLongerCountsAndAResetClearsTheKey(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend) { store in
            let throttle = StoredThrottle(store: store, logger: Logger(label: "test"), now: { clock.now })
            let keys: [(String, ThrottlePolicy)] = [("account:a", .perAccount), ("address:1.2.3.4", .perAddress)]
            var tickets: [ThrottleTicket] = []
            for _ in 0..<5 {
                guard case .granted(let ticket) = await throttle.reserve(keys) else { Issue.record("refused early"); return }
                tickets.append(ticket)
            }
            guard case .wait(let seconds) = await throttle.reserve(keys) else { Issue.record("sixth admitted"); return }
            #expect(seconds == 2)
            await throttle.giveBack(tickets[0])
            guard case .granted = await throttle.reserve(keys) else { Issue.record("a given-back attempt still counted"); return }
            guard case .wait = await throttle.reserve(keys) else { Issue.record("over the limit again, yet admitted"); return }
            await throttle.reset("account:a")
            guard case .granted = await throttle.reserve(keys) else { Issue.record("a reset key still counted"); return }
            // The address key kept its attempts through the account's reset.
            clock.advance(by: ThrottlePolicy.perAccount.window + 1)
            guard case .granted = await throttle.reserve(keys) else { Issue.record("attempts outside the window still counted"); return }
        }
    }

    /// Attempts no policy remembers are dropped, so a spray of one-off keys does not grow the table for good.
    @Test(arguments: TestBackend.available)
    func oldAttemptsAreForgotten(_ backend: TestBackend) async throws {
        let clock = TestClock()
        try await withTestStore(backend) { store in
            let throttle = StoredThrottle(store: store, logger: Logger(label: "test"), now: { clock.now })
            for index in 0..<50 { _ = await throttle.reserve([("address:\(index)", .perAddress)]) }
            clock.advance(by: StoredThrottle.kept + 120)
            _ = await throttle.reserve([("address:late", .perAddress)])
            let left = try await store.database.read { sql in
                try await sql.raw("SELECT count(*) AS n FROM credential_attempts").first()?.decode(column: "n", as: Int.self)
            }
            #expect(left == 1)
        }
    }
}
