import Foundation
import ServiceLifecycle

/// Applies approved 2FA resets when their waiting period ends. A poll, not a per-reset sleep:
/// it survives restarts, and several servers can run it at once (each reset applies once).
struct TwoFactorResetTimer: Service {
    let resets: TwoFactorResets
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await resets.applyDue()
                try? await Task.sleep(for: interval)
            }
        }
    }
}
