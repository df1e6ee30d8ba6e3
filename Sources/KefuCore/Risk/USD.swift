import Foundation

/// An amount of US dollars, exact: whole micro-dollars (10⁻⁶ USD) in an Int64, so sums in Swift
/// and in SQL (`SUM` over BIGINT) agree to the last unit and never pass through floating point.
/// Up to about 9.2 trillion USD.
public struct USD: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public static let scale: Int64 = 1_000_000
    public static let maxFractionDigits = 6
    public static let zero = USD(micros: 0)

    public let micros: Int64

    public init(micros: Int64) { self.micros = micros }

    public init(whole dollars: Int64) { self.micros = dollars * Self.scale }

    public enum ParseError: Error, Equatable {
        /// Not a plain decimal number ("12", "0.5", "1000.000001"): no sign, exponent, spaces or separators.
        case notADecimal
        /// More than six decimal places.
        case tooPrecise
        case tooLarge
    }

    /// Parses a decimal string exactly. Rounding is never silent: a seventh decimal place is an
    /// error the caller must fix, so no limit is checked against a different number than sent.
    public static func parse(_ text: String) throws(ParseError) -> USD {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 19, whole.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .notADecimal
        }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard parts.count == 1 || !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw .notADecimal }
        // Trailing zeros carry no precision ("1.50000000" is 1.5).
        while fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= maxFractionDigits else { throw .tooPrecise }
        fraction += String(repeating: "0", count: maxFractionDigits - fraction.count)
        guard let dollars = Int64(whole), let micros = Int64(fraction) else { throw .tooLarge }
        let (scaled, overflow) = dollars.multipliedReportingOverflow(by: scale)
        let (total, overflow2) = scaled.addingReportingOverflow(micros)
        guard !overflow, !overflow2 else { throw .tooLarge }
        return USD(micros: total)
    }

    /// The exact decimal, shortest form: "10000", "0.5", "1234.000001".
    public var description: String {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let whole = magnitude / UInt64(Self.scale)
        var fraction = String(magnitude % UInt64(Self.scale))
        fraction = String(repeating: "0", count: Self.maxFractionDigits - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// For people: thousands separators and cents, rounded half up ("10,000.00", "0.01").
    public var display: String {
        let cents = (micros.magnitude + 5_000) / 10_000
        var whole = String(cents / 100)
        var groups: [String] = []
        while whole.count > 3 {
            groups.insert(String(whole.suffix(3)), at: 0)
            whole.removeLast(3)
        }
        groups.insert(whole, at: 0)
        let fraction = cents % 100
        return (micros < 0 ? "-" : "") + groups.joined(separator: ",") + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    public static func < (lhs: USD, rhs: USD) -> Bool { lhs.micros < rhs.micros }
    public static func + (lhs: USD, rhs: USD) -> USD { USD(micros: lhs.micros + rhs.micros) }
    public static func - (lhs: USD, rhs: USD) -> USD { USD(micros: lhs.micros - rhs.micros) }

    /// `percent` of this amount, rounded down to the micro-dollar.
    public func percent(_ percent: Int) -> USD { USD(micros: micros / 100 * Int64(percent) + micros % 100 * Int64(percent) / 100) }

    // JSON: a decimal string, like every amount in the API.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try USD.parse(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a USD amount: \(text)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
