import NIOCore

/// When an HTTP connection has waited too long, and what to do then. A connection that sends
/// nothing between requests is closed after `idleTimeout`; one that stops in the middle of a
/// request (half a request line, half the headers, a body shorter than its Content-Length)
/// gets `408 Request Timeout` after `requestTimeout` without a byte, and a body that trickles
/// (a byte every few seconds) gets it once it falls behind `minimumBodyRate` after a grace of
/// `requestTimeout`: without that, a 64 KiB form a byte per 20 seconds held a connection for
/// weeks. While the application is
/// answering there is no deadline (that is the handler's business), and an upgraded WebSocket
/// is left to its pings.
///
/// Events come from the byte level (bytes read, bytes written) and the HTTP level (a request
/// head or end read, a response end written); the channel handlers only carry out the actions.
struct HTTPConnectionClock {
    enum State: Equatable {
        /// Between requests with nothing read since `since`.
        case idle(since: NIODeadline)
        /// Bytes of a request arrived, the last at `lastByte`; `requestEnded` once its end was
        /// read, `responded` once its answer started.
        case request(lastByte: NIODeadline, headRead: Bool, requestEnded: Bool, responded: Bool, responseEnded: Bool)
        case upgraded
        case closed
    }

    enum Action: Equatable {
        case none
        /// Close without a word (nothing of a request was pending).
        case close
        /// Answer 408 and close (a request was left unfinished and nothing was answered yet).
        case requestTimeout
    }

    let idleTimeout: TimeAmount
    let requestTimeout: TimeAmount
    private(set) var state: State
    /// When the current request's first byte came, until its head is read: a head must arrive
    /// whole within twice the request timeout, however slowly it trickles (slowloris).
    private var headStarted: NIODeadline?
    /// When the current request's head was read, and how many bytes came since (its body).
    private var bodyStarted: NIODeadline?
    private var bodyBytes = 0
    /// The slowest body Kefu waits for: 1 KiB a second on average (a phone on a poor network
    /// sends far more), after the first `requestTimeout`.
    static let minimumBodyRate = 1024

    init(idleTimeout: TimeAmount, requestTimeout: TimeAmount, now: NIODeadline) {
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.state = .idle(since: now)
    }

    /// When the current wait runs out; nil while the application works or after an upgrade.
    var deadline: NIODeadline? {
        switch state {
        case .idle(let since): return since + idleTimeout
        case .request(let lastByte, let headRead, let ended, _, let responseEnded):
            // Read whole and not yet answered: the application's turn, no deadline.
            if ended && !responseEnded { return nil }
            if !headRead, let headStarted { return min(lastByte + requestTimeout, headStarted + requestTimeout + requestTimeout) }
            if !ended, let bodyStarted {
                let earned = TimeAmount.milliseconds(Int64(bodyBytes) * 1000 / Int64(Self.minimumBodyRate))
                return min(lastByte + requestTimeout, bodyStarted + requestTimeout + earned)
            }
            return lastByte + requestTimeout
        case .upgraded, .closed: return nil
        }
    }

    /// Whether the connection only holds a slot (may be evicted at a connection cap).
    var isWaiting: Bool {
        switch state {
        case .idle: return true
        case .request(_, _, let ended, _, let responseEnded): return !ended || responseEnded
        case .upgraded, .closed: return false
        }
    }

    mutating func bytesRead(at now: NIODeadline, count: Int = 1) {
        switch state {
        case .idle:
            headStarted = now
            state = .request(lastByte: now, headRead: false, requestEnded: false, responded: false, responseEnded: false)
        case .request(_, let head, let ended, let responded, let responseEnded):
            if head && !ended { bodyBytes += count }
            state = .request(lastByte: now, headRead: head, requestEnded: ended, responded: responded, responseEnded: responseEnded)
        case .upgraded, .closed:
            break
        }
    }

    mutating func headRead(at now: NIODeadline) {
        // A pipelined request's head: it is the current one from now on.
        headStarted = nil
        bodyStarted = now
        bodyBytes = 0
        state = .request(lastByte: now, headRead: true, requestEnded: false, responded: false, responseEnded: false)
    }

    mutating func requestEndRead(at now: NIODeadline) {
        guard case .request(_, _, _, let responded, let responseEnded) = state else { return }
        if responseEnded {
            // Answered early (a refusal before the body); the body is now drained too.
            state = .idle(since: now)
        } else {
            state = .request(lastByte: now, headRead: true, requestEnded: true, responded: responded, responseEnded: false)
        }
    }

    /// Response bytes went out: a timeout from now on must not add a second answer.
    mutating func responseBytesWritten() {
        guard case .request(let lastByte, let head, let ended, _, let responseEnded) = state else { return }
        state = .request(lastByte: lastByte, headRead: head, requestEnded: ended, responded: true, responseEnded: responseEnded)
    }

    mutating func responseEndWritten(at now: NIODeadline) {
        guard case .request(_, let head, let ended, _, _) = state else { return }
        if ended || !head {
            state = .idle(since: now)
        } else {
            // Answered before the body was read: wait for the rest of it under the request timeout.
            state = .request(lastByte: now, headRead: true, requestEnded: false, responded: true, responseEnded: true)
        }
    }

    mutating func upgraded() {
        if state != .closed { state = .upgraded }
    }

    /// The deadline passed (`now` ≥ `deadline`): what to do.
    mutating func timeoutFired(at now: NIODeadline) -> Action {
        guard let deadline, now >= deadline else { return .none }
        defer { state = .closed }
        if case .request(_, _, _, let responded, _) = state, !responded { return .requestTimeout }
        return .close
    }

    mutating func closed() {
        state = .closed
    }
}
