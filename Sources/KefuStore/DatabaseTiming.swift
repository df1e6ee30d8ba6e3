import Foundation
import Metrics

/// Records how long each database round (a read or a write transaction) takes, for /metrics.
enum DatabaseTiming {
    static let timer = Metrics.Timer(label: "kefu_db_duration_seconds")

    static func measure<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            timer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        return try await body()
    }
}
