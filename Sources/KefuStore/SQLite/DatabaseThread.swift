import Foundation

/// One OS thread that owns one SQLite connection, usable as a task executor.
///
/// A SQLite handle must be used by one thread at a time, and each hop between threads costs a
/// wake-up. Running a whole transaction on the connection's own thread (as the task executor
/// preference of the task that runs it) makes every statement a plain function call there: one
/// hop in and one out per transaction, instead of two per statement through a thread pool.
final class DatabaseThread: TaskExecutor, @unchecked Sendable {
    // Guarded by `condition`.
    private var jobs: [Work] = []
    private var stopping = false
    private let condition = NSCondition()
    private var threadID: pthread_t?
    private let finished = DispatchSemaphore(value: 0)

    init(name: String) {
        let thread = Thread { [unowned self] in self.run() }
        thread.name = name
        thread.stackSize = 1 << 20
        condition.lock()
        thread.start()
        while threadID == nil { condition.wait() }
        condition.unlock()
    }

    /// True when the caller is running on this thread.
    var isCurrent: Bool {
        guard let threadID else { return false }
        return pthread_equal(pthread_self(), threadID) != 0
    }

    private enum Work {
        case job(UnownedJob)
        case block(@Sendable () -> Void)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        push(.job(UnownedJob(job)))
    }

    /// Runs `block` on this thread, after what is queued already, and returns at once.
    func execute(_ block: @escaping @Sendable () -> Void) {
        push(.block(block))
    }

    private func push(_ work: Work) {
        condition.lock()
        jobs.append(work)
        // Only a sleeping thread needs the signal; it is cheap either way.
        condition.signal()
        condition.unlock()
    }

    /// Runs the queue dry, then ends the thread. Jobs enqueued afterwards never run, so the owner
    /// stops it only once nothing can use its connection any more.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    private func run() {
        condition.lock()
        threadID = pthread_self()
        condition.broadcast()
        var batch: [Work] = []
        while true {
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping { break }
            swap(&batch, &jobs)
            condition.unlock()
            for work in batch {
                switch work {
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                case .block(let block): block()
                }
            }
            batch.removeAll(keepingCapacity: true)
            condition.lock()
        }
        condition.unlock()
        finished.signal()
    }
}
