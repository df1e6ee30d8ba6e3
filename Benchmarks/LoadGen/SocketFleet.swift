import NIOCore
import Synchronization

/// Many WebSocket connections opened with a bounded number of handshakes in flight (a burst
/// of thousands at once measures the listen backlog, not the server), and what became of them.
struct SocketFleet: Sendable {
    /// The open sockets, in target order; nil where opening failed.
    let channels: [(any Channel)?]
    /// Why sockets failed to open, with how many failed that way.
    let failures: [String: Int]
    let seconds: Double

    var opened: Int { channels.count { $0 != nil } }
    var open: [any Channel] { channels.compactMap { $0 } }

    /// Opens a socket per target; `source` picks the local address for the i-th (nil: any).
    static func open(
        _ targets: [WebSocketTarget], eventLoops: any EventLoopGroup, inFlight: Int,
        source: @escaping @Sendable (Int) -> SocketAddress? = { _ in nil },
        onText: @escaping @Sendable (Int) -> TextFrameSink, onClose: @escaping @Sendable (Int) -> @Sendable () -> Void = { _ in {} }
    ) async -> SocketFleet {
        let start = NIODeadline.now()
        let results = await withTaskGroup(of: [(Int, Result<any Channel, any Error>)].self) { handshakes in
            let laneCount = max(1, min(inFlight, targets.count))
            for lane in 0..<laneCount {
                handshakes.addTask {
                    var made: [(Int, Result<any Channel, any Error>)] = []
                    for index in stride(from: lane, to: targets.count, by: laneCount) {
                        let opened = WebSocketPeer.connect(
                            targets[index], on: eventLoops.next(), from: source(index), onText: onText(index), onClose: onClose(index))
                        do {
                            made.append((index, .success(try await opened.get())))
                        } catch {
                            made.append((index, .failure(error)))
                        }
                    }
                    return made
                }
            }
            var all: [(Int, Result<any Channel, any Error>)] = []
            for await made in handshakes { all += made }
            return all
        }
        var channels = [(any Channel)?](repeating: nil, count: targets.count)
        var failures: [String: Int] = [:]
        for (index, result) in results {
            switch result {
            case .success(let channel): channels[index] = channel
            case .failure(let error): failures[String(describing: error), default: 0] += 1
            }
        }
        return SocketFleet(channels: channels, failures: failures, seconds: Double((NIODeadline.now() - start).nanoseconds) / 1e9)
    }

    /// Closes every socket and waits until they are closed.
    func close() async {
        let open = open
        for channel in open { channel.close(promise: nil) }
        for channel in open { try? await channel.closeFuture.get() }
    }
}

/// A count shared by event-loop callbacks (sockets that closed, feeds that failed).
final class Tally: Sendable {
    private let value = Mutex(0)

    func add(_ amount: Int = 1) { value.withLock { $0 += amount } }
    var count: Int { value.withLock { $0 } }
}

/// A one-way switch read from event-loop callbacks (set when the run closes its own sockets,
/// so those closes are not counted as failures).
final class Latch: Sendable {
    private let state = Mutex(false)

    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}
