import Foundation

/// What an agent password must be. Agents guard every customer's account, so the bar is a
/// length (NIST SP 800-63B favours length over composition) and not an obvious one.
public struct AgentPasswordPolicy: Sendable {
    public var minimumLength: Int
    public var maximumLength: Int

    public init(minimumLength: Int = 12, maximumLength: Int = 256) {
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
    }

    public enum Violation: String, Sendable, Equatable {
        case tooShort = "too_short"
        case tooLong = "too_long"
        case containsEmail = "contains_email"
        case repetitive = "repetitive"
        case sameAsCurrent = "same_as_current"
    }

    public func violations(password: String, email: String) -> [Violation] {
        var found: [Violation] = []
        if password.count < minimumLength { found.append(.tooShort) }
        if password.count > maximumLength { found.append(.tooLong) }
        let local = EmailAddress.normalize(email).split(separator: "@").first.map(String.init) ?? ""
        if local.count >= 3, password.lowercased().contains(local) { found.append(.containsEmail) }
        if Set(password).count < 4 { found.append(.repetitive) }
        return found
    }
}
