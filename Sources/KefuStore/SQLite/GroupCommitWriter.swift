import Foundation
import SQLKit
import Synchronization

/// The single SQLite writer, with group commit.
///
/// SQLite allows one writer, and a commit costs more than most of the statements before it. So
/// callers queue their transaction bodies here, and one loop on the writer's own thread runs
/// whatever has queued in one SQLite transaction: each body inside its own savepoint (a body that
/// fails rolls back only itself), then one `COMMIT`, then every caller of the group is answered.
/// Nobody is answered before the commit that holds their writes. A lone caller is not held back
/// waiting for company: the loop takes what is queued when it looks, however little.
final class GroupCommitWriter: Sendable {
    /// Bodies per transaction at most: the first of a group waits for the rest before its answer.
    static let groupLimit = 128

    private let handle: SQLiteHandle
    private let thread: DatabaseThread
    private let sql: SQLiteThreadDatabase
    private let state = Mutex(State())
    private let loop = Mutex<Task<Void, Never>?>(nil)

    private struct State {
        var queue: [AnyPendingWrite] = []
        var idle: CheckedContinuation<Void, Never>?
        var closed = false
    }

    init(handle: SQLiteHandle, thread: DatabaseThread, sql: SQLiteThreadDatabase) {
        self.handle = handle
        self.thread = thread
        self.sql = sql
        let task = Task(executorPreference: thread) { [self] in await self.run() }
        loop.withLock { $0 = task }
    }

    /// Runs `body` in a write transaction and returns once that transaction has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await submit(PendingWrite(body: body, exclusive: false))
    }

    /// Runs `body` alone and outside any transaction (`VACUUM INTO` refuses to run inside one).
    func exclusive<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await submit(PendingWrite(body: body, exclusive: true))
    }

    /// Lets everything queued finish, then stops the loop.
    func close() async {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.idle = nil }
            return state.idle
        }
        wake?.resume()
        await loop.withLock { $0 }?.value
    }

    private func submit<T: Sendable>(_ pending: PendingWrite<T>) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            pending.continuation = continuation
            let (accepted, wake) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                guard !state.closed else { return (false, nil) }
                state.queue.append(pending)
                defer { state.idle = nil }
                return (true, state.idle)
            }
            if !accepted {
                continuation.resume(throwing: SQLiteFailure(code: 21, message: "the database is closed"))
            }
            wake?.resume()
        }
    }

    // MARK: The loop, on the writer's thread

    private func run() async {
        while let group = await nextGroup() {
            if group.count == 1, group[0].exclusive {
                _ = await group[0].run(sql)
                group[0].complete(nil)
            } else {
                await commit(group[...])
            }
        }
    }

    /// What has queued, up to the limit and never past an exclusive body; nil once closed and empty.
    private func nextGroup() async -> [AnyPendingWrite]? {
        while true {
            enum Next { case group([AnyPendingWrite]), done, wait }
            let next = state.withLock { state -> Next in
                if state.queue.isEmpty { return state.closed ? .done : .wait }
                var count = 0
                while count < state.queue.count, count < Self.groupLimit {
                    if state.queue[count].exclusive {
                        if count == 0 { count = 1 }
                        break
                    }
                    count += 1
                }
                let group = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return .group(group)
            }
            switch next {
            case .group(let group): return group
            case .done: return nil
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.queue.isEmpty || state.closed { return true }
                        state.idle = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
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

/// A queued body, type-erased so that bodies of every result type share one queue. Touched only
/// by the submitting call and then by the writer's loop, one after the other.
class AnyPendingWrite: @unchecked Sendable {
    let exclusive: Bool
    init(exclusive: Bool) { self.exclusive = exclusive }
    /// The body's own error after `run`, if it threw.
    var failure: (any Error)? { nil }
    /// Runs the body; true when it returned.
    func run(_ sql: any SQLDatabase) async -> Bool { false }
    /// Answers the caller: with the body's outcome, or with `failure` when the commit failed.
    func complete(_ failure: (any Error)?) {}
}

final class PendingWrite<T: Sendable>: AnyPendingWrite, @unchecked Sendable {
    /// Dropped as soon as it has run: the caller may hand in a closure that must not outlive
    /// its call (`withoutActuallyEscaping`), and the writer's loop holds this object longer.
    private var body: (@Sendable (any SQLDatabase) async throws -> T)?
    var continuation: CheckedContinuation<T, any Error>?
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
        let continuation = self.continuation
        self.continuation = nil
        body = nil
        if let failure {
            // A body's own error wins over the commit's: it is what the caller did wrong.
            continuation?.resume(throwing: self.failure ?? failure)
        } else if let outcome {
            continuation?.resume(with: outcome)
        } else {
            continuation?.resume(throwing: SQLiteFailure(code: 1, message: "the write did not run"))
        }
    }
}
