import Logging
import Metrics
import ServiceLifecycle

/// Work a request starts but does not wait for (the reset mail, the new-device alert, the
/// failed-login event), run by a service in the application's group: graceful shutdown drains
/// it, a failure is logged with the request that started it and counted in /metrics
/// (`kefu_background_jobs_total{job, outcome}`). An unstructured `Task {}` would do neither.
public final class BackgroundWork: Service, Sendable {
    public struct Job: Sendable {
        public let name: String
        public let requestId: String?
        public let work: @Sendable () async throws -> Void
    }

    private let jobs: AsyncStream<Job>
    private let queue: AsyncStream<Job>.Continuation
    private let logger: Logger

    public init(logger: Logger) {
        (jobs, queue) = AsyncStream.makeStream(of: Job.self)
        self.logger = logger
    }

    /// Queues `work`; it runs soon, concurrently with other jobs, and is waited for at shutdown.
    public func submit(_ name: String, requestId: String?, _ work: @escaping @Sendable () async throws -> Void) {
        if case .terminated = queue.yield(Job(name: name, requestId: requestId, work: work)) {
            // Only after shutdown has drained the queue (the HTTP server stops first).
            logger.error("background job refused: shutting down", metadata: ["job": "\(name)", "hb.request.id": "\(requestId ?? "-")"])
            Counter(label: "kefu_background_jobs_total", dimensions: [("job", name), ("outcome", "refused")]).increment()
        }
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await job in jobs {
                    group.addTask { await self.perform(job) }
                }
            } onGracefulShutdown: {
                // Ends the loop once the queued jobs are taken; the group then waits for them.
                self.queue.finish()
            }
        }
    }

    private func perform(_ job: Job) async {
        do {
            try await job.work()
            Counter(label: "kefu_background_jobs_total", dimensions: [("job", job.name), ("outcome", "done")]).increment()
        } catch {
            logger.error(
                "background job failed",
                metadata: ["job": "\(job.name)", "hb.request.id": "\(job.requestId ?? "-")", "error": "\(String(reflecting: error))"])
            Counter(label: "kefu_background_jobs_total", dimensions: [("job", job.name), ("outcome", "failed")]).increment()
        }
    }
}
