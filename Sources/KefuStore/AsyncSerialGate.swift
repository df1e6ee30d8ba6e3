/// A FIFO async mutex: one holder at a time, waiters resumed in arrival order.
/// An actor alone is not enough because its methods interleave at every `await`.
actor AsyncSerialGate {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func withGate<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
