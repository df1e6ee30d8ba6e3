import Foundation
import KefuCore
import Testing

@Suite struct USDTests {
    @Test(arguments: [("0", 0), ("12", 12_000_000), ("0.5", 500_000), ("1000.000001", 1_000_000_001), ("1.50000000", 1_500_000), ("007.25", 7_250_000)])
    func parsesExactly(_ text: String, _ micros: Int64) throws {
        #expect(try USD.parse(text).micros == micros)
    }

    @Test func refusesWhatIsNotAPlainDecimal() {
        for text in ["", "-1", "+1", "1e5", " 1", "1,000", "1.", ".5", "0x10", "١٢", "1.2.3", "NaN"] {
            #expect(throws: USD.ParseError.notADecimal, "\(text)") { try USD.parse(text) }
        }
        #expect(throws: USD.ParseError.tooPrecise) { try USD.parse("0.0000001") }
        #expect(throws: USD.ParseError.tooLarge) { try USD.parse("9999999999999999999") }
    }

    @Test func printsForMachinesAndPeople() throws {
        #expect(try USD.parse("10000").description == "10000")
        #expect(try USD.parse("0.000001").description == "0.000001")
        #expect(try USD.parse("1234567.891").display == "1,234,567.89")
        #expect(try USD.parse("0.005").display == "0.01")
        #expect(try USD.parse("999.994999").display == "999.99")
        #expect(USD(whole: 10_000).percent(50) == USD(whole: 5_000))
        #expect(USD(micros: 3).percent(50) == USD(micros: 1))
    }
}

@Suite struct AuthorizationRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = RiskPolicy.standard

    func usd(_ text: String) -> USD { try! USD.parse(text) }

    /// A withdrawal.
    func decide(_ value: String, _ activity: AccountActivity, destination: String? = nil) -> Decision {
        AuthorizationRules.decide(
            AuthorizationRequest(kind: .withdrawal, value: usd(value), destination: destination), activity: activity, policy: policy, now: now)
    }

    func transfer(_ value: String, _ activity: AccountActivity) -> Decision {
        AuthorizationRules.decide(AuthorizationRequest(kind: .transfer, value: usd(value)), activity: activity, policy: policy, now: now)
    }

    @Test func exactlyAtTheCapIsApprovedOneMicroDollarOverIsNot() {
        // Tier 1 withdrawals: 5,000 a transaction, 10,000 a day.
        let activity = AccountActivity(tier: 1, used24h: usd("6000"), used30d: usd("6000"))
        let atCap = decide("4000", activity)
        #expect(atCap.outcome == .approved && atCap.code == .withinLimits)
        #expect(atCap.tightest == WindowUsage(window: .rolling24h, limit: usd("10000"), used: usd("10000")))
        #expect(atCap.tightest.remaining == .zero)
        let over = decide("4000.000001", activity)
        #expect(over.outcome == .denied && over.code == .over24h && over.refusedBy == .rolling24h)
        // A denial leaves the window as it was.
        #expect(over.tightest.used == usd("6000") && over.tightest.remaining == usd("4000"))
        #expect(decide("5000", AccountActivity(tier: 1)).outcome == .approved)
        #expect(decide("5000.01", AccountActivity(tier: 1)).code == .overPerTransaction)
    }

    @Test func theThirtyDayWindowIsTheTighterOneWhenItHasLessLeft() {
        let activity = AccountActivity(tier: 1, used24h: usd("0"), used30d: usd("48000"))
        let decision = decide("2000", activity)
        #expect(decision.outcome == .approved)
        #expect(decision.tightest.window == .rolling30d && decision.tightest.remaining == .zero)
        #expect(decide("2000.5", activity).code == .over30d)
    }

    @Test func raisingTheTierRaisesTheLimitsAtOnce() {
        let activity = AccountActivity(tier: 0)
        #expect(decide("1", activity).code == .notAllowedForTier)
        #expect(transfer("100", activity).outcome == .approved)
        #expect(transfer("150", AccountActivity(tier: 0, used24h: usd("100"), used30d: usd("100"))).code == .overPerTransaction)
        var upgraded = activity
        upgraded.tier = 2
        #expect(decide("50000", upgraded).outcome == .approved)
        #expect(decide("50000.01", upgraded).code == .overPerTransaction)
    }

    @Test func regionsSwitchKindsOffAndLowerCaps() {
        var policy = RiskPolicy.standard
        policy.regions = [
            RegionRule(country: "KP", disabled: [.withdrawal, .transfer]),
            RegionRule(country: "SG", withdrawal: KindLimits(perTransaction: usd("1000"), rolling24h: usd("2000"), rolling30d: usd("20000"))),
        ]
        func decide(_ value: String, verified: String?, from country: String?) -> Decision {
            AuthorizationRules.decide(
                AuthorizationRequest(kind: .withdrawal, value: usd(value), country: country),
                activity: AccountActivity(tier: 2, verifiedCountry: verified), policy: policy, now: now)
        }
        #expect(decide("10", verified: "KP", from: nil).code == .disabledInRegion)
        #expect(decide("10", verified: "CN", from: "kp").code == .disabledInRegion)  // either country counts
        #expect(decide("1000", verified: "SG", from: nil).outcome == .approved)
        #expect(decide("1000.01", verified: "CN", from: "SG").code == .overPerTransaction)
        #expect(decide("1000.01", verified: "CN", from: "CN").outcome == .approved)
    }

    @Test func eachRiskRuleHoldsAWithdrawalNotATransfer() {
        let base = AccountActivity(tier: 2, knownDestination: true)
        var locked = base
        locked.withdrawalsLockedUntil = now.addingTimeInterval(3600)
        #expect(decide("10", locked).code == .securityLock)
        locked.withdrawalsLockedUntil = now  // lifted exactly now
        #expect(decide("10", locked).outcome == .approved)

        var device = base
        device.lastNewDeviceAt = now.addingTimeInterval(-23 * 3600)
        #expect(decide("10", device).code == .newDevice)
        device.lastNewDeviceAt = now.addingTimeInterval(-24 * 3600)
        #expect(decide("10", device).outcome == .approved)

        var fresh = base
        fresh.knownDestination = false
        #expect(decide("999.99", fresh, destination: "bc1qnew").outcome == .approved)
        #expect(decide("1000", fresh, destination: "bc1qnew").code == .newDestination)

        var busy = base
        busy.withdrawalsLastHour = 2
        #expect(decide("10", busy).outcome == .approved)
        busy.withdrawalsLastHour = 3
        #expect(decide("10", busy).code == .velocity)

        // Tier 2: 30-day withdrawal cap 500,000, so more than 250,000 is a large share (per transaction caps it at 50,000 though).
        var policy = RiskPolicy.standard
        policy.rules.largeSharePercent = 5
        let share = AuthorizationRules.decide(
            AuthorizationRequest(kind: .withdrawal, value: usd("25000.01")), activity: base, policy: policy, now: now)
        #expect(share.code == .largeShare)
        #expect(
            AuthorizationRules.decide(AuthorizationRequest(kind: .withdrawal, value: usd("25000")), activity: base, policy: policy, now: now).outcome
                == .approved)

        // Several rules: all are kept, the first names the hold; transfers are never held.
        var many = locked
        many.withdrawalsLockedUntil = now.addingTimeInterval(60)
        many.withdrawalsLastHour = 5
        let held = decide("10", many)
        #expect(held.holds == [.securityLock, .velocity])
        #expect(transfer("10", many).outcome == .approved)
        // A held withdrawal counts against the window like an approved one.
        #expect(held.tightest.used == usd("10"))
    }

    @Test func theWithdrawalCountCapsADay() {
        #expect(decide("1", AccountActivity(tier: 1, withdrawals24h: 9, knownDestination: true)).outcome == .approved)
        let refused = decide("1", AccountActivity(tier: 1, withdrawals24h: 10))
        #expect(refused.code == .tooManyWithdrawals)
    }

    @Test func aRefusedMovementFitsOnceEnoughHasAgedOut() {
        let day: TimeInterval = 24 * 3600
        let entries: [(at: Date, value: USD)] = [
            (now.addingTimeInterval(-20 * 3600), usd("3000")), (now.addingTimeInterval(-10 * 3600), usd("4000")),
            (now.addingTimeInterval(-1 * 3600), usd("2000")),
        ]
        // 9,000 used of 10,000; 3,000 more fits once the first 3,000 ages out (4 hours from now).
        #expect(
            AuthorizationRules.retryAt(entries: entries, used: usd("9000"), limit: usd("10000"), value: usd("3000"), window: .rolling24h)
                == now.addingTimeInterval(-20 * 3600 + day))
        #expect(
            AuthorizationRules.retryAt(entries: entries, used: usd("9000"), limit: usd("10000"), value: usd("5000"), window: .rolling24h)
                == now.addingTimeInterval(-10 * 3600 + day))
        #expect(AuthorizationRules.retryAt(entries: entries, used: usd("9000"), limit: usd("10000"), value: usd("10000.01"), window: .rolling24h) == nil)
        let times = (0..<10).map { now.addingTimeInterval(TimeInterval(-$0) * 3600) }
        #expect(AuthorizationRules.retryAt(withdrawalTimes: times, maxCount: 10) == now.addingTimeInterval(-9 * 3600 + day))
    }

    @Test func aPolicyWithProblemsNamesEachOne() {
        var policy = RiskPolicy.standard
        #expect(policy.problems().isEmpty)
        policy.tiers[1].withdrawal.perTransaction = usd("20000")
        policy.regions = [RegionRule(country: "cn"), RegionRule(country: "US"), RegionRule(country: "US")]
        policy.rules.largeSharePercent = 101
        let paths = policy.problems().map(\.0)
        #expect(paths == ["tiers[1].withdrawal.perTransaction", "regions[0].country", "regions[2].country", "rules.largeSharePercent"])
        policy.tiers.removeLast()
        #expect(policy.problems().map(\.0).first == "tiers")
    }

    @Test func theAssetListIsCheckedAndComparedWithoutCase() throws {
        var policy = RiskPolicy.standard
        #expect(policy.assets.starts(with: ["BTC", "ETH", "USDT", "USDC"]))
        #expect(policy.supports(asset: "USDT") && policy.supports(asset: "usdt") && !policy.supports(asset: "USDX"))
        policy.assets = ["USDC.e", "stETH", "U$DT", "steth", ""]
        #expect(policy.supports(asset: "STETH"))
        let problems = policy.problems().map { "\($0.0) \($0.1.rawValue)" }
        #expect(problems == ["assets[2] asset_format", "assets[3] asset_twice", "assets[4] asset_format"])
        policy.assets = []
        #expect(policy.problems().map(\.1) == [.assetListEmpty])
    }

    /// Policies saved before the list existed (and API clients that do not send it) get the standard list.
    @Test func aPolicyWithoutAnAssetListHasTheStandardOne() throws {
        let json = try JSONEncoder().encode(RiskPolicy.standard)
        var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["assets"] as? [String] == RiskPolicy.standardAssets)
        object["assets"] = nil
        let old = try JSONDecoder().decode(RiskPolicy.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(old == RiskPolicy.standard)
    }
}
