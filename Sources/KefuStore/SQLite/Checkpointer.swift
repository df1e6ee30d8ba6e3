import Synchronization
import VaporCSQLite

/// Copies the WAL back into the database file on a connection and thread of its own.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the
/// writer: that commit then waits for the copy and an `fsync` of the database file, and so does
/// every caller queued behind it. Here the writer only counts (the WAL hook, after each commit)
/// and asks this connection for a passive checkpoint, which runs beside the next commits (WAL
/// mode allows it) and never waits for readers.
final class Checkpointer: Sendable {
    /// Pages in the WAL before a checkpoint is asked for.
    let threshold: Int32
    /// Pages in the WAL at which the writer checkpoints itself, as SQLite would: a checkpoint
    /// beside a writer that never pauses cannot catch up, and the WAL would grow without end.
    var writerLimit: Int32 { threshold * 20 }

    private let handle: SQLiteHandle
    private let thread: DatabaseThread
    private let running = Atomic<Bool>(false)
    private let stats = Mutex((checkpoints: 0, failures: 0, byWriter: 0))

    init(handle: SQLiteHandle, thread: DatabaseThread, threshold: Int32) {
        self.threshold = max(1, threshold)
        self.handle = handle
        self.thread = thread
    }

    /// Hands the writer's WAL commits to this checkpointer. The writer must stay open while it is.
    func watch(_ writer: SQLiteHandle) {
        writer.setWALHook(Unmanaged.passUnretained(self).toOpaque()) { context, connection, _, pages in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue()
            if pages >= checkpointer.writerLimit {
                _ = sqlite_nio_sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                checkpointer.stats.withLock { $0.byWriter += 1 }
            } else if pages >= checkpointer.threshold {
                checkpointer.request()
            }
            return SQLITE_OK
        }
    }

    /// Checkpoints done and failed so far (a failed one is tried again at the next commit), and
    /// those the writer made itself at its limit.
    var counts: (checkpoints: Int, failures: Int, byWriter: Int) { stats.withLock { $0 } }

    private func request() {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        thread.execute { [self] in
            do {
                try handle.run("PRAGMA wal_checkpoint(PASSIVE)")
                stats.withLock { $0.checkpoints += 1 }
            } catch {
                stats.withLock { $0.failures += 1 }
            }
            running.store(false, ordering: .releasing)
        }
    }

    /// Waits for a checkpoint in flight, then closes the connection.
    func close() {
        thread.stop()
        handle.close()
    }
}
