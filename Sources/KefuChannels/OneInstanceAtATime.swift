import Foundation
import KefuCore
import KefuStore
import Logging
import ServiceLifecycle

/// This process among the instances sharing a database (leases and presence name it).
public enum ProcessInstance {
    public static let id = TimeOrderedUUID.make()
}

/// Runs `services` on one instance at a time: the one holding the lease `name`. The holder
/// renews it every `renewEvery`; one that cannot (its database is gone, or it hung) stops the
/// services before the lease runs out. An instance that died or froze stops writing its
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
            if let until = await take() {
                logger.info("lease taken; running here", metadata: ["lease": "\(name)", "instance": "\(owner)"])
                await runWhileHeld(until: until)
                if Task.isCancelled || Task.isShuttingDownGracefully {
                    let (store, name, owner) = (store, name, owner)
                    try? await evenIfCancelled { try await store.releaseLease(name, owner: owner) }
                    return
                }
                logger.warning("lease lost; stopped here", metadata: ["lease": "\(name)", "instance": "\(owner)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: retryEvery) }
        }
    }

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

    /// Runs the services until they end (graceful shutdown) or the lease cannot be renewed.
    private func runWhileHeld(until first: Date) async {
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
                var held = first
                while !Task.isCancelled {
                    try? await Task.sleep(for: renewEvery)
                    if Task.isCancelled { break }
                    let at = now()
                    let until = at.addingTimeInterval(lease)
                    do {
                        // Another instance holds it: it took over after this one missed renewals.
                        guard try await ask(until: until, at: at) else { return true }
                        held = until
                    } catch {
                        logger.warning("lease not renewed", metadata: ["lease": "\(name)", "error": "\(String(reflecting: error))"])
                        // Another instance may take it soon: stop before it can.
                        if now() >= held.addingTimeInterval(-lease / 3) { return true }
                    }
                }
                return false
            }
            // The first to end decides: lost lease, or the services stopped (shutdown).
            _ = await group.next()
            group.cancelAll()
        }
    }
}
