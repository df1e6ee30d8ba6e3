import Foundation
import Synchronization

/// A clock tests move by hand, for code that takes `now: @Sendable () -> Date`: a slow machine
/// cannot age anything early or late.
public final class TestClock: Sendable {
    private let value: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { value = Mutex(start) }

    public var now: Date { value.withLock { $0 } }

    public func advance(by seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }

    public func set(_ date: Date) { value.withLock { $0 = date } }
}
