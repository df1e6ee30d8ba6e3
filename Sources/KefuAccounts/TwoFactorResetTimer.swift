import Foundation
import ServiceLifecycle

/// Applies approved 2FA resets when their waiting period ends. A poll, not a per-reset sleep:
/// it survives restarts, and several servers can run it at once (each reset applies once).
public struct TwoFactorResetTimer: Service {
    public let resets: TwoFactorResets
    public let interval: Duration

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await resets.applyDue()
                try? await Task.sleep(for: interval)
            }
        }
    }

    public init(resets: TwoFactorResets, interval: Duration) {
        self.resets = resets
        self.interval = interval
    }
}
