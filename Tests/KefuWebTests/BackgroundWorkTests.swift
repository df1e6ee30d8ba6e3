import Foundation
import KefuTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import KefuAccounts
@testable import KefuWeb

/// Work a request starts and does not wait for is drained at shutdown and reported when it
/// fails (it used to run in unstructured `Task {}`s: neither).
@Suite struct BackgroundWorkTests {
    @Test func gracefulShutdownWaitsForQueuedWorkAndFailuresAreLoggedWithTheRequest() async throws {
        let recorder = LogRecorder()
        let logger = Logger(label: "background.test") { _ in recorder }
        let work = BackgroundWork(logger: logger)
        let finished = Mutex(0)
        let group = ServiceGroup(services: [work], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for _ in 0..<5 {
                work.submit("slow", requestId: "r1") {
                    try await Task.sleep(for: .milliseconds(300))
                    finished.withLock { $0 += 1 }
                }
            }
            work.submit("broken", requestId: "req-42") { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(50))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        // Shutdown returned only after every queued job ran.
        #expect(finished.withLock { $0 } == 5)
        let failure = recorder.lines.withLock { $0 }.first { $0.contains("background job failed") }
        #expect(failure?.contains("hb.request.id=req-42") == true)
        #expect(failure?.contains("job=broken") == true)
        // After shutdown nothing is silently accepted.
        work.submit("late", requestId: "r2") {}
        #expect(recorder.lines.withLock { $0 }.contains { $0.contains("background job refused") && $0.contains("job=late") })
    }
}
