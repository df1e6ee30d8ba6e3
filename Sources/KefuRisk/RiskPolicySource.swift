import Foundation
import KefuCore
import KefuStore

/// The risk policy in force: stored in settings (`risk.policy`, JSON), Kefu's standard policy
/// until an admin saves one. Kept in memory for a few seconds: a save through this instance takes
/// effect for its next decision; one through another instance as soon as its notice arrives
/// (milliseconds), and within `freshness` if the notice was lost; nothing restarts.
public actor RiskPolicySource {
    public static let key = "risk.policy"
    public let store: any SettingsRepository
    public let freshness: TimeInterval
    public let now: @Sendable () -> Date
    /// Tells the other instances that the policy was saved, so they forget their copies at once.
    public let announce: @Sendable (String) -> Void
    private var cached: (policy: RiskPolicy, at: Date)?

    public init(
        store: any SettingsRepository, freshness: TimeInterval = 5, announce: @escaping @Sendable (String) -> Void = { _ in },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.freshness = freshness
        self.announce = announce
        self.now = now
    }

    /// Another instance saved the policy: the next decision reads it.
    public func forget() {
        cached = nil
    }

    public func current() async throws -> RiskPolicy {
        if let cached, now().timeIntervalSince(cached.at) < freshness { return cached.policy }
        var policy = RiskPolicy.standard
        if let json = try await store.setting(Self.key) {
            policy = try JSONDecoder().decode(RiskPolicy.self, from: Data(json.utf8))
        }
        cached = (policy, now())
        return policy
    }

    /// Validates and saves; every problem at once as a 400.
    public func save(_ policy: RiskPolicy, audit: AuditEvent) async throws {
        let problems = policy.problems()
        guard problems.isEmpty else {
            var failure = ValidationFailure()
            for (path, problem) in problems { failure.add(path, .rule(problem.rawValue)) }
            throw RiskError.invalid(failure)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(policy), as: UTF8.self)
        try await store.setSetting(Self.key, value: json, audit: audit)
        cached = (policy, now())
        announce(Self.key)
    }
}
