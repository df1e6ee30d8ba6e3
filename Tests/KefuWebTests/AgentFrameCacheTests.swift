import Foundation
import KefuCore
import Synchronization
import Testing

@testable import KefuWeb

@Suite struct AgentFrameCacheTests {
    @Test func aMessageIsEncodedOnceForEveryFeed() {
        let cache = AgentFrameCache()
        let encodings = Mutex(0)
        let key = AgentFrameCache.Key(message: .generate(), authorName: "Lin")
        let frames = (0..<10).map { _ in
            cache.frame(for: key) {
                encodings.withLock { $0 += 1 }
                return #"{"type":"message"}"#
            }
        }
        #expect(Set(frames) == [#"{"type":"message"}"#])
        #expect(encodings.withLock { $0 } == 1)
    }

    @Test func aFeedThatNamesTheAuthorDifferentlyGetsItsOwnFrame() {
        let cache = AgentFrameCache()
        let message = MessageID.generate()
        let old = cache.frame(for: .init(message: message, authorName: "Lin")) { "Lin" }
        let renamed = cache.frame(for: .init(message: message, authorName: "Lin Wei")) { "Lin Wei" }
        #expect(old == "Lin")
        #expect(renamed == "Lin Wei")
    }

    @Test func onlyTheLatestMessagesAreKept() {
        let cache = AgentFrameCache(capacity: 3)
        let keys = (0..<5).map { _ in AgentFrameCache.Key(message: .generate(), authorName: nil) }
        for (index, key) in keys.enumerated() { _ = cache.frame(for: key) { "v\(index)" } }
        #expect(cache.count == 3)
        // The two oldest were evicted: asking again encodes anew; the newest are still known.
        #expect(cache.frame(for: keys[0]) { "again" } == "again")
        #expect(cache.frame(for: keys[4]) { "again" } == "v4")
    }
}
