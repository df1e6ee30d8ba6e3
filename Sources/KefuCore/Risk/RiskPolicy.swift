import Foundation

/// What the wallet's backend asks Kefu before it moves money.
public enum MovementKind: String, Sendable, Codable, CaseIterable {
    case transfer
    case withdrawal
}

/// Caps for one kind of movement, in USD: one transaction, the rolling 24 hours, the rolling
/// 30 days. A cap of zero means the kind is not allowed at all.
public struct KindLimits: Sendable, Equatable, Codable {
    public var perTransaction: USD
    public var rolling24h: USD
    public var rolling30d: USD

    public init(perTransaction: USD, rolling24h: USD, rolling30d: USD) {
        self.perTransaction = perTransaction
        self.rolling24h = rolling24h
        self.rolling30d = rolling30d
    }

    /// The caps by name, as the policy document, its problems and the editor's fields name them.
    public enum Field: String, Sendable, CaseIterable {
        case perTransaction
        case rolling24h
        case rolling30d
    }

    public subscript(field: Field) -> USD {
        switch field {
        case .perTransaction: perTransaction
        case .rolling24h: rolling24h
        case .rolling30d: rolling30d
        }
    }

    /// A rolling window's cap.
    public func cap(for window: LimitWindow) -> USD { window == .rolling24h ? rolling24h : rolling30d }

    /// Nothing of this kind may move (a zero per-transaction or daily cap).
    public var isClosed: Bool { perTransaction == .zero || rolling24h == .zero }

    /// The tighter of two sets of caps, cap by cap (a region's caps never raise a tier's).
    public func capped(by other: KindLimits?) -> KindLimits {
        guard let other else { return self }
        return KindLimits(
            perTransaction: min(perTransaction, other.perTransaction), rolling24h: min(rolling24h, other.rolling24h),
            rolling30d: min(rolling30d, other.rolling30d))
    }
}

/// A verification (KYC) tier's limits.
public struct TierLimits: Sendable, Equatable, Codable {
    public var transfer: KindLimits
    public var withdrawal: KindLimits
    /// At most this many withdrawals in any 24 hours.
    public var withdrawalsPer24h: Int

    public init(transfer: KindLimits, withdrawal: KindLimits, withdrawalsPer24h: Int) {
        self.transfer = transfer
        self.withdrawal = withdrawal
        self.withdrawalsPer24h = withdrawalsPer24h
    }

    public func limits(_ kind: MovementKind) -> KindLimits { kind == .transfer ? transfer : withdrawal }
}

/// A country's restrictions: kinds switched off, and caps that apply on top of the tier's.
public struct RegionRule: Sendable, Equatable, Codable {
    /// ISO 3166-1 alpha-2, upper case ("CN", "US").
    public var country: String
    public var disabled: [MovementKind]
    public var transfer: KindLimits?
    public var withdrawal: KindLimits?

    public init(country: String, disabled: [MovementKind] = [], transfer: KindLimits? = nil, withdrawal: KindLimits? = nil) {
        self.country = country
        self.disabled = disabled
        self.transfer = transfer
        self.withdrawal = withdrawal
    }

    public func limits(_ kind: MovementKind) -> KindLimits? { kind == .transfer ? transfer : withdrawal }
}

/// The risk rules that put a withdrawal on hold for an agent to review. Each can be switched off.
public struct RiskRules: Sendable, Equatable, Codable {
    /// Hold withdrawals while the account's withdrawal lock (after a password reset, 2FA or
    /// email change) is on.
    public var securityLock: Bool
    /// Hold withdrawals within this many hours of a sign-in from a new device or address (0: off).
    public var newDeviceHours: Int
    /// Hold the first withdrawal to a destination the account never used, from this value on
    /// (nil: off).
    public var newDestinationFromUSD: USD?
    /// Hold a withdrawal when this many were already made in the past hour (0: off).
    public var withdrawalsPerHour: Int
    /// Hold a single withdrawal above this percentage of the 30-day withdrawal cap (0: off).
    public var largeSharePercent: Int

    public init(securityLock: Bool, newDeviceHours: Int, newDestinationFromUSD: USD?, withdrawalsPerHour: Int, largeSharePercent: Int) {
        self.securityLock = securityLock
        self.newDeviceHours = newDeviceHours
        self.newDestinationFromUSD = newDestinationFromUSD
        self.withdrawalsPerHour = withdrawalsPerHour
        self.largeSharePercent = largeSharePercent
    }
}

/// Everything a decision depends on besides the account: admins edit it in the console; a
/// change applies to the next decision.
public struct RiskPolicy: Sendable, Equatable, Codable {
    /// Tier 0 (unverified) to tier 3, in order.
    public var tiers: [TierLimits]
    public var regions: [RegionRule]
    public var rules: RiskRules
    /// The assets the decision service decides on (symbols such as "USDT"); a request for any
    /// other is refused before a decision, so a typo or an unlisted token never gets a limit.
    public var assets: [String]

    public init(tiers: [TierLimits], regions: [RegionRule], rules: RiskRules, assets: [String] = RiskPolicy.standardAssets) {
        self.tiers = tiers
        self.regions = regions
        self.rules = rules
        self.assets = assets
    }

    /// A policy saved before the asset list existed (or a document without `assets`) takes
    /// the standard list.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tiers = try container.decode([TierLimits].self, forKey: .tiers)
        regions = try container.decode([RegionRule].self, forKey: .regions)
        rules = try container.decode(RiskRules.self, forKey: .rules)
        assets = try container.decodeIfPresent([String].self, forKey: .assets) ?? Self.standardAssets
    }

    /// What a wallet for Chinese- and English-speaking customers holds most: Bitcoin, Ether, the
    /// two large dollar stablecoins and the chains their customers move them on.
    public static let standardAssets = ["BTC", "ETH", "USDT", "USDC", "BNB", "SOL", "TRX", "XRP", "LTC", "DOGE"]

    /// Whether the decision service takes this asset; symbols compare without case ("usdt" is USDT).
    public func supports(asset: String) -> Bool {
        let wanted = asset.uppercased()
        return assets.contains { $0.uppercased() == wanted }
    }

    /// An asset symbol as requests and the list write it: 1–20 ASCII letters, digits, `.`, `_` or
    /// `-` ("USDT", "USDC.e", "stETH").
    public static func isAssetSymbol(_ text: String) -> Bool {
        (1...20).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    public static let tierRange = 0...3

    public func tier(_ tier: Int) -> TierLimits { tiers[min(max(tier, 0), tiers.count - 1)] }
    public func region(_ country: String?) -> RegionRule? {
        guard let country else { return nil }
        return regions.first { $0.country == country.uppercased() }
    }

    /// Whether the rule of any of these countries switches the kind off.
    public func disables(_ kind: MovementKind, in countries: [String?]) -> Bool {
        countries.contains { region($0)?.disabled.contains(kind) ?? false }
    }

    /// Kefu's defaults (docs/limits.md): unverified accounts may make small transfers and no
    /// withdrawals; each tier raises every cap about tenfold.
    public static let standard = RiskPolicy(
        tiers: [
            TierLimits(
                transfer: .init(perTransaction: USD(whole: 100), rolling24h: USD(whole: 200), rolling30d: USD(whole: 1_000)),
                withdrawal: .init(perTransaction: .zero, rolling24h: .zero, rolling30d: .zero), withdrawalsPer24h: 0),
            TierLimits(
                transfer: .init(perTransaction: USD(whole: 5_000), rolling24h: USD(whole: 10_000), rolling30d: USD(whole: 100_000)),
                withdrawal: .init(perTransaction: USD(whole: 5_000), rolling24h: USD(whole: 10_000), rolling30d: USD(whole: 50_000)),
                withdrawalsPer24h: 10),
            TierLimits(
                transfer: .init(perTransaction: USD(whole: 50_000), rolling24h: USD(whole: 100_000), rolling30d: USD(whole: 1_000_000)),
                withdrawal: .init(perTransaction: USD(whole: 50_000), rolling24h: USD(whole: 100_000), rolling30d: USD(whole: 500_000)),
                withdrawalsPer24h: 20),
            TierLimits(
                transfer: .init(perTransaction: USD(whole: 500_000), rolling24h: USD(whole: 1_000_000), rolling30d: USD(whole: 10_000_000)),
                withdrawal: .init(perTransaction: USD(whole: 250_000), rolling24h: USD(whole: 1_000_000), rolling30d: USD(whole: 5_000_000)),
                withdrawalsPer24h: 50),
        ],
        regions: [],
        rules: RiskRules(securityLock: true, newDeviceHours: 24, newDestinationFromUSD: USD(whole: 1_000), withdrawalsPerHour: 3, largeSharePercent: 50))

    /// What can be wrong with an edited policy (stable codes; the console words them).
    public enum Problem: String, Sendable {
        case tierCount = "tier_count"
        case negative
        case perTransactionOverDay = "per_transaction_over_24h"
        case dayOverMonth = "24h_over_30d"
        case countryFormat = "country_format"
        case countryTwice = "country_twice"
        case outOfRange = "out_of_range"
        case assetListEmpty = "asset_list_empty"
        case assetFormat = "asset_format"
        case assetTwice = "asset_twice"
    }

    /// Every problem with an edited policy, as (field path, problem), so an admin fixes them at once.
    public func problems() -> [(String, Problem)] {
        var problems: [(String, Problem)] = []
        if tiers.count != Self.tierRange.count { problems.append(("tiers", .tierCount)) }
        for (index, tier) in tiers.enumerated() {
            for kind in MovementKind.allCases {
                problems += Self.check(tier.limits(kind), at: "tiers[\(index)].\(kind.rawValue)")
            }
            if tier.withdrawalsPer24h < 0 { problems.append(("tiers[\(index)].withdrawalsPer24h", .negative)) }
        }
        var seen: Set<String> = []
        for (index, region) in regions.enumerated() {
            let path = "regions[\(index)]"
            if region.country.count != 2 || !region.country.allSatisfy({ $0.isASCII && $0.isUppercase }) {
                problems.append(("\(path).country", .countryFormat))
            }
            if !seen.insert(region.country).inserted { problems.append(("\(path).country", .countryTwice)) }
            for kind in MovementKind.allCases {
                if let limits = region.limits(kind) { problems += Self.check(limits, at: "\(path).\(kind.rawValue)") }
            }
        }
        if rules.newDeviceHours < 0 || rules.newDeviceHours > 24 * 30 { problems.append(("rules.newDeviceHours", .outOfRange)) }
        if rules.withdrawalsPerHour < 0 { problems.append(("rules.withdrawalsPerHour", .negative)) }
        if !(0...100).contains(rules.largeSharePercent) { problems.append(("rules.largeSharePercent", .outOfRange)) }
        if let from = rules.newDestinationFromUSD, from < .zero { problems.append(("rules.newDestinationFromUSD", .negative)) }
        if assets.isEmpty { problems.append(("assets", .assetListEmpty)) }
        var symbols: Set<String> = []
        for (index, asset) in assets.enumerated() {
            if !Self.isAssetSymbol(asset) { problems.append(("assets[\(index)]", .assetFormat)) }
            if !symbols.insert(asset.uppercased()).inserted { problems.append(("assets[\(index)]", .assetTwice)) }
        }
        return problems
    }

    static func check(_ limits: KindLimits, at path: String) -> [(String, Problem)] {
        var problems: [(String, Problem)] = []
        for field in KindLimits.Field.allCases where limits[field] < .zero {
            problems.append(("\(path).\(field.rawValue)", .negative))
        }
        if limits.perTransaction > limits.rolling24h { problems.append(("\(path).perTransaction", .perTransactionOverDay)) }
        if limits.rolling24h > limits.rolling30d { problems.append(("\(path).rolling24h", .dayOverMonth)) }
        return problems
    }
}
