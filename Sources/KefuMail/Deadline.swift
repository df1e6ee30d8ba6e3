import Foundation

/// Waits for `work` at most `limit`, then answers `fallback` instead. The work is not awaited
/// past the limit (it goes on in an unstructured task and its result is dropped): a database
/// that takes a minute to refuse a connection must not hold the caller for that minute.
func result<T: Sendable>(of work: @escaping @Sendable () async -> T, within limit: Duration, otherwise fallback: T) async -> T {
    let once = ResumeOnce<T>()
    return await withCheckedContinuation { continuation in
        once.set(continuation)
        let worker = Task { once.resume(with: await work()) }
        Task {
            try? await Task.sleep(for: limit)
            if once.resume(with: fallback) { worker.cancel() }
        }
    }
}

/// A continuation resumed by whichever of two tasks answers first.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?

    /// Called before either task starts, so no answer can come before it.
    func set(_ continuation: CheckedContinuation<T, Never>) {
        lock.withLock { self.continuation = continuation }
    }

    /// True when this call was the answer; the second answer is dropped.
    @discardableResult
    func resume(with value: T) -> Bool {
        lock.withLock {
            guard let continuation else { return false }
            continuation.resume(returning: value)
            self.continuation = nil
            return true
        }
    }
}
