import Foundation

/// One OS thread that owns one SQLite connection, usable as a task executor.
///
/// A SQLite handle must be used by one thread at a time, and each hop between threads costs a
/// wake-up. Running a whole transaction on the connection's own thread (as the task executor
/// preference of the task that runs it) makes every statement a plain function call there: one
/// hop in and one out per transaction, instead of two per statement through a thread pool.
final class DatabaseThread: TaskExecutor, @unchecked Sendable {
    // Guarded by `condition`.
    private var jobs: [UnownedJob] = []
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

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
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
        var batch: [UnownedJob] = []
        while true {
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping { break }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
            condition.lock()
        }
        condition.unlock()
        finished.signal()
    }
}
