import Foundation

/// What is wrong with one field of a request.
public enum FieldProblem: Sendable, Equatable {
    case required
    case invalid
    case tooLong(max: Int)
    case tooShort(min: Int)
    case notOneOf([String])
    /// A named rule of a policy, e.g. the password policy's "contains_email".
    case rule(String)

    /// A stable machine-readable code for API clients.
    public var code: String {
        switch self {
        case .required: "required"
        case .invalid: "invalid"
        case .tooLong: "too_long"
        case .tooShort: "too_short"
        case .notOneOf: "not_one_of"
        case .rule(let name): name
        }
    }
}

/// Every field problem of one request, collected so the client learns all of them at once.
public struct ValidationFailure: Error, Sendable, Equatable {
    public private(set) var fields: [(name: String, problem: FieldProblem)] = []

    public init() {}

    /// One problem with one field.
    public init(_ name: String, _ problem: FieldProblem) {
        fields = [(name, problem)]
    }

    public mutating func add(_ name: String, _ problem: FieldProblem) {
        fields.append((name, problem))
    }

    public var isEmpty: Bool { fields.isEmpty }

    public func throwIfAny() throws(ValidationFailure) {
        if !fields.isEmpty { throw self }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.problem) == rhs.fields.map(\.problem)
    }
}
