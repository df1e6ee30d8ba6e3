import Foundation
import SQLKit
import Synchronization

/// The single SQLite writer, with group commit.
///
/// SQLite allows one writer, and a commit costs more than most statements before it. So a caller
/// that finds the writer busy queues its transaction body and waits; the caller that holds the
/// writer (the leader) runs everything queued in one SQLite transaction: each body inside its
/// own savepoint (a body that fails rolls back only itself), then one `COMMIT`, then every caller
/// of the group is answered, and the oldest caller still waiting becomes the next leader. Nobody
/// is answered before the commit that holds their writes.
///
/// A caller that finds the writer free runs its transaction at once on its own thread: no hop
/// to another thread and back, which on this machine costs more than a small transaction.
final class GroupCommitWriter: Sendable {
    /// Bodies per transaction at most: the first of a group waits for the rest before its answer.
    static let groupLimit = 128

    private let handle: SQLiteHandle
    private let sql: SQLiteThreadDatabase
    private let state = Mutex(State())

    private struct State {
        /// Bodies waiting for a leader, oldest first. Not empty only while `leading`.
        var queue: [AnyPendingWrite] = []
        var leading = false
        var closed = false
        var drained: [CheckedContinuation<Void, Never>] = []
        var statistics = WriteStatistics()
    }

    /// Bodies waiting for the writer now (for tests that arrange a group).
    var queued: Int { state.withLock { $0.queue.count } }

    /// What the writer has done since it opened.
    var statistics: WriteStatistics { state.withLock { $0.statistics } }

    init(handle: SQLiteHandle, sql: SQLiteThreadDatabase) {
        self.handle = handle
        self.sql = sql
    }

    /// Runs `body` in a write transaction and returns once that transaction has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await submit(PendingWrite(body: body, exclusive: false))
    }

    /// Runs `body` alone and outside any transaction (`VACUUM INTO` refuses to run inside one).
    func exclusive<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await submit(PendingWrite(body: body, exclusive: true))
    }

    /// Refuses new writes, and returns once everything queued has been answered.
    func close() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                state.closed = true
                if !state.leading { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func submit<T: Sendable>(_ pending: PendingWrite<T>) async throws -> T {
        let role = state.withLock { state -> Signal? in
            guard !state.closed else { return nil }
            state.queue.append(pending)
            if state.leading { return .done }
            state.leading = true
            return .lead
        }
        guard let role else { throw SQLiteFailure(code: 21, message: "the database is closed") }
        var signal = role
        if signal != .lead { signal = await pending.wait() }
        if signal == .lead { await lead() }
        return try pending.result()
    }

    /// Runs the group at the head of the queue (this caller's own body is its first), answers its
    /// callers, and hands the writer to the oldest caller still waiting.
    private func lead() async {
        let group = state.withLock { state -> [AnyPendingWrite] in
            var count = 0
            while count < state.queue.count, count < Self.groupLimit {
                if state.queue[count].exclusive {
                    if count == 0 { count = 1 }
                    break
                }
                count += 1
            }
            defer { state.queue.removeFirst(count) }
            return Array(state.queue.prefix(count))
        }
        state.withLock { state in
            state.statistics.groups += 1
            state.statistics.bodies += group.count
            state.statistics.largestGroup = max(state.statistics.largestGroup, group.count)
        }
        if group.count == 1, group[0].exclusive {
            _ = await group[0].run(sql)
            group[0].complete(nil)
        } else {
            await commit(group[...])
        }
        let (next, drained) = state.withLock { state -> (AnyPendingWrite?, [CheckedContinuation<Void, Never>]) in
            if let next = state.queue.first { return (next, []) }
            state.leading = false
            defer { state.drained = [] }
            return (nil, state.drained)
        }
        next?.signal(.lead)
        for continuation in drained { continuation.resume() }
    }

    /// Runs `group` in one transaction. If SQLite itself rolls the transaction back half-way
    /// (a full disk, an I/O error), the bodies before lose their writes and hear that error; the
    /// rest run in a new transaction.
    private func commit(_ group: ArraySlice<AnyPendingWrite>) async {
        var remaining = group
        while !remaining.isEmpty {
            do {
                try handle.execute("BEGIN IMMEDIATE", []) { _ in }
            } catch {
                for pending in remaining { pending.complete(error) }
                return
            }
            let alone = remaining.count == 1
            var ran: [AnyPendingWrite] = []
            var lost: (any Error)?
            while let pending = remaining.first {
                remaining.removeFirst()
                if !alone { try? handle.execute("SAVEPOINT grouped", []) { _ in } }
                let succeeded = await pending.run(sql)
                ran.append(pending)
                if !handle.isInTransaction {
                    lost = pending.failure ?? SQLiteFailure(code: 1, message: "the transaction ended inside a write")
                    break
                }
                if !alone {
                    if !succeeded { try? handle.execute("ROLLBACK TO grouped", []) { _ in } }
                    try? handle.execute("RELEASE grouped", []) { _ in }
                }
            }
            if let lost {
                for pending in ran { pending.complete(pending.failure ?? lost) }
                continue
            }
            var commitFailure: (any Error)?
            if alone, ran[0].failure != nil {
                try? handle.execute("ROLLBACK", []) { _ in }
            } else {
                do {
                    try handle.execute("COMMIT", []) { _ in }
                } catch {
                    commitFailure = error
                    if handle.isInTransaction { try? handle.execute("ROLLBACK", []) { _ in } }
                }
            }
            for pending in ran { pending.complete(commitFailure) }
        }
    }
}

/// Counts of the writer's work: `bodies / groups` is how many writes a commit carried on average.
public struct WriteStatistics: Sendable, Equatable {
    public var groups = 0
    public var bodies = 0
    public var largestGroup = 0
}

/// What a waiting caller is woken for: its write is answered, or the writer is its to lead.
enum Signal: Sendable { case done, lead }

/// A queued body, type-erased so that bodies of every result type share one queue. Its body and
/// outcome are touched by one leader at a time; the wake-up is guarded by its own lock.
class AnyPendingWrite: @unchecked Sendable {
    let exclusive: Bool
    private let wake = Mutex<(signal: Signal?, waiter: CheckedContinuation<Signal, Never>?)>((nil, nil))

    init(exclusive: Bool) { self.exclusive = exclusive }

    /// The body's own error after `run`, if it threw.
    var failure: (any Error)? { nil }
    /// Runs the body; true when it returned.
    func run(_ sql: any SQLDatabase) async -> Bool { false }
    /// Records the answer (the body's outcome, or `failure` when the commit failed) and wakes
    /// the caller.
    func complete(_ failure: (any Error)?) {}

    /// Waits until the write is answered or the writer is handed over.
    func wait() async -> Signal {
        await withCheckedContinuation { continuation in
            let ready = wake.withLock { wake -> Signal? in
                if let signal = wake.signal { return signal }
                wake.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    func signal(_ signal: Signal) {
        let waiter = wake.withLock { wake -> CheckedContinuation<Signal, Never>? in
            wake.signal = signal
            defer { wake.waiter = nil }
            return wake.waiter
        }
        waiter?.resume(returning: signal)
    }
}

final class PendingWrite<T: Sendable>: AnyPendingWrite, @unchecked Sendable {
    /// Dropped as soon as it has run: the caller may hand in a closure that must not outlive
    /// its call (`withoutActuallyEscaping`), and a leader may hold this object a little longer.
    private var body: (@Sendable (any SQLDatabase) async throws -> T)?
    private var outcome: Result<T, any Error>?

    init(body: @escaping @Sendable (any SQLDatabase) async throws -> T, exclusive: Bool) {
        self.body = body
        super.init(exclusive: exclusive)
    }

    override var failure: (any Error)? {
        if case .failure(let error) = outcome { return error }
        return nil
    }

    override func run(_ sql: any SQLDatabase) async -> Bool {
        guard let body else { return false }
        defer { self.body = nil }
        do {
            outcome = .success(try await body(sql))
            return true
        } catch {
            outcome = .failure(error)
            return false
        }
    }

    override func complete(_ failure: (any Error)?) {
        body = nil
        if let failure {
            // A body's own error wins over the commit's: it is what the caller did wrong.
            outcome = .failure(self.failure ?? failure)
        } else if outcome == nil {
            outcome = .failure(SQLiteFailure(code: 1, message: "the write did not run"))
        }
        signal(.done)
    }

    /// The answer; called by the caller after it was signalled or led its own group.
    func result() throws -> T {
        guard let outcome else { throw SQLiteFailure(code: 1, message: "the write was not answered") }
        return try outcome.get()
    }
}
