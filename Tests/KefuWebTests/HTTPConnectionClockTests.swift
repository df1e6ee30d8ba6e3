import NIOCore
import Testing

@testable import KefuWeb

/// When an HTTP connection is given up on, and how (docs/security.md, "Connections").
@Suite struct HTTPConnectionClockTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func clock() -> HTTPConnectionClock {
        HTTPConnectionClock(idleTimeout: .seconds(60), requestTimeout: .seconds(30), now: start)
    }

    @Test func aConnectionThatSendsNothingIsClosedSilentlyAfterTheIdleTimeout() {
        var clock = clock()
        #expect(clock.deadline == start + .seconds(60))
        #expect(clock.timeoutFired(at: start + .seconds(59)) == .none)
        #expect(clock.timeoutFired(at: start + .seconds(60)) == .close)
        #expect(clock.state == .closed)
    }

    @Test func halfARequestGets408AfterTheRequestTimeoutFromItsLastByte() {
        var clock = clock()
        clock.bytesRead(at: start + .seconds(1))
        clock.bytesRead(at: start + .seconds(20))
        #expect(clock.deadline == start + .seconds(50))
        #expect(clock.isWaiting)
        #expect(clock.timeoutFired(at: start + .seconds(50)) == .requestTimeout)
    }

    @Test func aHeadTricklingInByteByByteGets408AfterTwiceTheRequestTimeout() {
        var clock = clock()
        for second in stride(from: 0, through: 55, by: 10) { clock.bytesRead(at: start + .seconds(Int64(second))) }
        #expect(clock.deadline == start + .seconds(60))
        #expect(clock.timeoutFired(at: start + .seconds(60)) == .requestTimeout)
    }

    @Test func aBodyShorterThanItsLengthGets408() {
        var clock = clock()
        clock.bytesRead(at: start)
        clock.headRead(at: start)
        clock.bytesRead(at: start + .seconds(2))
        #expect(clock.timeoutFired(at: start + .seconds(32)) == .requestTimeout)
    }

    /// A body dribbled a byte at a time (an outsider kept one open for minutes at a byte per 20
    /// seconds) falls behind the minimum rate once the grace is over; a steady slow upload does not.
    @Test func aTricklingBodyGets408WhenItFallsBehindTheMinimumRate() {
        var clock = clock()
        clock.bytesRead(at: start, count: 200)
        clock.headRead(at: start)
        for second in stride(from: 20, through: 200, by: 20) {
            clock.bytesRead(at: start + .seconds(Int64(second)), count: 1)
            if clock.timeoutFired(at: start + .seconds(Int64(second)) + .milliseconds(1)) == .requestTimeout { break }
        }
        #expect(clock.state == .closed)
        var steady = self.clock()
        steady.bytesRead(at: start, count: 200)
        steady.headRead(at: start)
        for second in 1...120 {
            steady.bytesRead(at: start + .seconds(Int64(second)), count: 2048)
            #expect(steady.timeoutFired(at: start + .seconds(Int64(second)) + .milliseconds(500)) == .none)
        }
        steady.requestEndRead(at: start + .seconds(121))
        #expect(steady.deadline == nil)
    }

    @Test func noDeadlineWhileTheApplicationAnswersThenIdleAgain() {
        var clock = clock()
        clock.bytesRead(at: start)
        clock.headRead(at: start)
        clock.requestEndRead(at: start)
        #expect(clock.deadline == nil)
        #expect(!clock.isWaiting)
        clock.responseBytesWritten()
        clock.responseEndWritten(at: start + .seconds(300))
        #expect(clock.state == .idle(since: start + .seconds(300)))
        #expect(clock.deadline == start + .seconds(360))
    }

    @Test func anEarlyAnswerWaitsForTheRestOfTheBodyButNeverAnswersTwice() {
        var clock = clock()
        clock.bytesRead(at: start)
        clock.headRead(at: start)
        clock.responseBytesWritten()
        clock.responseEndWritten(at: start + .seconds(1))
        // The body's clock started with the head: no byte of it came, so the grace ends at 30 s.
        #expect(clock.deadline == start + .seconds(30))
        #expect(clock.timeoutFired(at: start + .seconds(30)) == .close)
    }

    @Test func anEarlyAnswerWhoseBodyArrivesIsIdleAfterIt() {
        var clock = clock()
        clock.bytesRead(at: start)
        clock.headRead(at: start)
        clock.responseEndWritten(at: start + .seconds(1))
        clock.requestEndRead(at: start + .seconds(2))
        #expect(clock.state == .idle(since: start + .seconds(2)))
    }

    @Test func anUpgradedWebSocketHasNoDeadline() {
        var clock = clock()
        clock.bytesRead(at: start)
        clock.upgraded()
        #expect(clock.deadline == nil)
        #expect(!clock.isWaiting)
        #expect(clock.timeoutFired(at: start + .seconds(100_000)) == .none)
    }

    @Test func answersWrittenBelowHTTPAreProblemsWithTheirStatus() {
        let timeout = String(buffer: ConnectionDeadlineHandler.requestTimeout)
        #expect(timeout.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(timeout.contains("Content-Type: application/problem+json"))
        #expect(timeout.contains(#""code":"request_timeout""#))
        let refusal = String(buffer: ConnectionDeadlineHandler.refusal(.address))
        #expect(refusal.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n") && refusal.contains("Retry-After: 1\r\n"))
        #expect(refusal.contains(#""code":"too_many_connections""#))
        let length = Int(refusal.split(separator: "\r\n").first { $0.hasPrefix("Content-Length: ") }!.dropFirst(16))!
        #expect(refusal.components(separatedBy: "\r\n\r\n")[1].utf8.count == length)
    }
}
