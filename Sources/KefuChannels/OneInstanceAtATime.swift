import Foundation
import KefuCore
import KefuStore
import Logging
import ServiceLifecycle
import Synchronization

/// This process among the instances sharing a database (leases and presence name it).
public enum ProcessInstance {
    public static let id = TimeOrderedUUID.make()
}

/// Runs `services` on one instance at a time: the one holding the lease `name`. The holder
/// renews it every `renewEvery`; one that cannot in time (its database is gone or slow, or it
/// hung) stops the services before the lease runs out. An instance that died or froze stops writing its
/// heartbeat (`SharedPresence`, every second, under the same instance id): once it has been
/// silent for `holderSilence`, another takes the lease within `retryEvery` without waiting for
/// the lease's end (a process restarted after `kill -9` is the other, most of the time). A
/// holder that is only slow and loses the lease that way finds out at its next renewal and
/// stops. For work that must not run twice at once even for a moment of overlap, a lease is not
/// enough (clocks, pauses); Telegram's long poll is fine: a second poller gets 409 Conflict and
/// tries again, and updates are stored once.
public struct OneInstanceAtATime: Service {
    let name: String
    let owner: String
    let store: any InstanceStateRepository
    let services: [any Service]
    let lease: TimeInterval
    let renewEvery: Duration
    let retryEvery: Duration
    let holderSilence: TimeInterval
    let logger: Logger
    let now: @Sendable () -> Date

    public init(
        _ name: String, owner: String = ProcessInstance.id, store: any InstanceStateRepository, services: [any Service],
        lease: TimeInterval = 30, renewEvery: Duration = .seconds(5), retryEvery: Duration = .seconds(5), holderSilence: TimeInterval = 10,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.name = name
        self.owner = owner
        self.store = store
        self.services = services
        self.lease = lease
        self.renewEvery = renewEvery
        self.retryEvery = retryEvery
        self.holderSilence = holderSilence
        self.logger = logger
        self.now = now
    }

    struct LeaseLost: Error {}

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // An answer that came so late the lease is near its end already is not acted on:
            // the services would stop at once, after a moment of overlap with the next holder.
            if let until = await take(), now() < stopBefore(until) {
                logger.info("lease taken; running here", metadata: ["lease": "\(name)", "instance": "\(owner)"])
                await runWhileHeld(until: until)
                if Task.isCancelled || Task.isShuttingDownGracefully {
                    try? await evenIfCancelled { [self] in try await store.releaseLease(name, owner: owner) }
                    return
                }
                logger.warning("lease lost; stopped here", metadata: ["lease": "\(name)", "instance": "\(owner)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: retryEvery) }
        }
    }

    /// When the services stop unless a renewal has moved `until` on: a third of a lease early.
    private func stopBefore(_ until: Date) -> Date { until.addingTimeInterval(-lease / 3) }

    /// The lease's end when this instance holds it now, nil when another does (or the database is away).
    private func take() async -> Date? {
        let at = now()
        let until = at.addingTimeInterval(lease)
        do {
            return try await ask(until: until, at: at) ? until : nil
        } catch {
            logger.warning("lease not asked for", metadata: ["lease": "\(name)", "error": "\(String(reflecting: error))"])
            return nil
        }
    }

    /// Takes or renews the lease until `until`; false while another instance holds it and is alive.
    private func ask(until: Date, at: Date) async throws -> Bool {
        try await store.acquireLease(name, owner: owner, until: until, at: at, holderSilentBefore: at.addingTimeInterval(-holderSilence))
    }

    /// Runs the services until they end (graceful shutdown), another instance holds the lease,
    /// or the lease nears its end without a renewal.
    private func runWhileHeld(until first: Date) async {
        let held = HeldUntil(first)
        await withTaskGroup(of: Bool.self) { group in
            for service in services {
                group.addTask {
                    do { try await service.run() } catch {
                        logger.error("service under lease failed", metadata: ["lease": "\(name)", "error": "\(String(reflecting: error))"])
                    }
                    return false
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: renewEvery)
                    if Task.isCancelled { break }
                    let at = now()
                    let until = at.addingTimeInterval(lease)
                    do {
                        // Another instance holds it: it took over after this one missed renewals.
                        guard try await ask(until: until, at: at) else { return true }
                        held.end.withLock { $0 = until }
                    } catch {
                        logger.warning("lease not renewed", metadata: ["lease": "\(name)", "error": "\(String(reflecting: error))"])
                    }
                }
                return false
            }
            // The lease's own clock. A renewal that is only slow (a busy pool, a server that
            // takes its time) would otherwise keep the services running after the lease ended
            // and another instance took it: they stop a third of a lease before its end unless a
            // renewal came in, however long the renewal itself is taking.
            group.addTask {
                while !Task.isCancelled {
                    let left = stopBefore(held.end.withLock { $0 }).timeIntervalSince(now())
                    if left <= 0 {
                        logger.warning("lease not renewed in time; stopped here", metadata: ["lease": "\(name)", "instance": "\(owner)"])
                        return true
                    }
                    try? await Task.sleep(for: .milliseconds(Int(left * 1000) + 1))
                }
                return false
            }
            // The first to end decides: lost lease, or the services stopped (shutdown).
            _ = await group.next()
            group.cancelAll()
        }
    }
}

/// The end of the lease as last renewed, shared by the renewing task and the one that watches
/// the clock.
private final class HeldUntil: Sendable {
    let end: Mutex<Date>
    init(_ end: Date) { self.end = Mutex(end) }
}
