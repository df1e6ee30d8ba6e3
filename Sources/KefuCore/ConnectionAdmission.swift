import Foundation

/// Who may open one more connection to a listener, given the ones already open: at most
/// `maxTotal` in the process (kept below the descriptor limit) and `maxPerAddress` from one
/// client address. At a cap, the connection that has waited longest without a request in
/// progress makes room (it only holds a slot), so a flood of idle connections never keeps a
/// new client, a health check among them, from being served. Only when every connection is busy
/// is the newcomer refused.
///
/// A value with no I/O; a listener keeps it behind a lock and carries out what it answers.
/// `Handle` is whatever the listener needs to close an evicted connection.
public struct ConnectionAdmission<Handle> {
    public struct Limits: Sendable, Equatable {
        public var maxTotal: Int
        /// nil: no per-address cap (behind a trusted proxy every connection has its address).
        public var maxPerAddress: Int?
        /// Connections that may be long-lived (upgraded WebSockets), which are never evicted:
        /// nine in ten of `maxTotal` by default, so a flood of chat sockets leaves room for
        /// pages, the API and health checks.
        public var maxLongLived: Int

        public init(maxTotal: Int, maxPerAddress: Int?, maxLongLived: Int? = nil) {
            self.maxTotal = maxTotal
            self.maxPerAddress = maxPerAddress
            self.maxLongLived = maxLongLived ?? max(1, maxTotal - max(1, maxTotal / 10))
        }
    }

    public typealias ID = UInt64

    public enum Refusal: String, Error, Sendable, Equatable {
        case process
        case address
    }

    public enum Decision {
        /// Admitted; `evicting` (if any) must be closed to make the room.
        case admitted(ID, evicting: Handle?)
        case refused(Refusal)
    }

    struct Entry {
        let address: String
        let handle: Handle
        /// Idle, or waiting for the rest of a request: may be evicted at a cap.
        var waiting: Bool
        var lastActivity: Date
        var longLived = false
    }

    public let limits: Limits
    private var entries: [ID: Entry] = [:]
    private var perAddress: [String: Int] = [:]
    private var nextID: ID = 0
    private var longLivedCount = 0

    public init(limits: Limits) {
        self.limits = limits
    }

    public var openCount: Int { entries.count }

    public func openCount(address: String) -> Int { perAddress[address] ?? 0 }

    /// A new connection from `address`, waiting for its first request.
    public mutating func admit(address: String, handle: Handle, now: Date) -> Decision {
        var victim: Handle?
        if let cap = limits.maxPerAddress, openCount(address: address) >= cap {
            guard let id = longestWaiting(where: { $0.address == address }) else { return .refused(.address) }
            victim = remove(id)
        } else if entries.count >= limits.maxTotal {
            guard let id = longestWaiting(where: { _ in true }) else { return .refused(.process) }
            victim = remove(id)
        }
        nextID += 1
        entries[nextID] = Entry(address: address, handle: handle, waiting: true, lastActivity: now)
        perAddress[address, default: 0] += 1
        return .admitted(nextID, evicting: victim)
    }

    /// The connection read bytes or changed between waiting and working on a request.
    public mutating func update(_ id: ID, waiting: Bool, at now: Date) {
        entries[id]?.waiting = waiting
        entries[id]?.lastActivity = now
    }

    /// The connection becomes long-lived (a WebSocket): false when their share is taken, and
    /// the connection must then be refused.
    public mutating func markLongLived(_ id: ID) -> Bool {
        guard let entry = entries[id], !entry.longLived else { return entries[id] != nil }
        guard longLivedCount < limits.maxLongLived else { return false }
        entries[id]?.longLived = true
        entries[id]?.waiting = false
        longLivedCount += 1
        return true
    }

    public var longLivedOpen: Int { longLivedCount }

    /// The connection closed (evicted ones are already gone: a second release is harmless).
    public mutating func release(_ id: ID) {
        _ = remove(id)
    }

    private mutating func remove(_ id: ID) -> Handle? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        if entry.longLived { longLivedCount -= 1 }
        let left = (perAddress[entry.address] ?? 1) - 1
        perAddress[entry.address] = left > 0 ? left : nil
        return entry.handle
    }

    private func longestWaiting(where matches: (Entry) -> Bool) -> ID? {
        var best: (ID, Date)?
        for (id, entry) in entries where entry.waiting && matches(entry) {
            if best == nil || entry.lastActivity < best!.1 { best = (id, entry.lastActivity) }
        }
        return best?.0
    }
}

extension ConnectionAdmission: Sendable where Handle: Sendable {}
extension ConnectionAdmission.Entry: Sendable where Handle: Sendable {}
extension ConnectionAdmission.Decision: Sendable where Handle: Sendable {}

/// A listener's `ConnectionAdmission`, shared by its connections' event loops.
public final class ConnectionGate: @unchecked Sendable {
    /// Closes an evicted connection (on its own event loop).
    public typealias Evict = @Sendable () -> Void
    public typealias ID = ConnectionAdmission<Evict>.ID
    public typealias Refusal = ConnectionAdmission<Evict>.Refusal

    private var admission: ConnectionAdmission<Evict>
    private let lock = NSLock()
    private let now: @Sendable () -> Date

    public init(limits: ConnectionAdmission<Evict>.Limits, now: @escaping @Sendable () -> Date = { Date() }) {
        self.admission = ConnectionAdmission(limits: limits)
        self.now = now
    }

    /// A slot for a connection from `address`, or why not; `evicted` when another connection
    /// was closed (outside the lock) to make the room.
    public func admit(address: String, evict: @escaping Evict) -> (slot: Result<ConnectionSlot, Refusal>, evicted: Bool) {
        let decision = lock.withLock { admission.admit(address: address, handle: evict, now: now()) }
        switch decision {
        case .admitted(let id, let victim):
            victim?()
            return (.success(ConnectionSlot(gate: self, id: id)), victim != nil)
        case .refused(let reason):
            return (.failure(reason), false)
        }
    }

    fileprivate func update(_ id: ID, waiting: Bool) {
        let at = now()
        lock.withLock { admission.update(id, waiting: waiting, at: at) }
    }

    fileprivate func release(_ id: ID) {
        lock.withLock { admission.release(id) }
    }

    fileprivate func markLongLived(_ id: ID) -> Bool {
        lock.withLock { admission.markLongLived(id) }
    }
}

/// One admitted connection's place at its gate, which the connection keeps up to date.
public struct ConnectionSlot: Sendable {
    let gate: ConnectionGate
    let id: ConnectionGate.ID

    /// The connection did something; `waiting`: it only holds the slot (may be evicted).
    public func touch(waiting: Bool) { gate.update(id, waiting: waiting) }

    /// The connection becomes long-lived (a WebSocket); false when their share is taken.
    public func markLongLived() -> Bool { gate.markLongLived(id) }

    /// The connection closed.
    public func release() { gate.release(id) }
}
