import Foundation
import Testing

@testable import KefuCore

@Suite struct TimeOrderedUUIDTests {
    @Test func isAVersion7UUIDWithTheMillisecondInFront() throws {
        let at = Date(timeIntervalSince1970: 1_796_000_000.123)
        let id = TimeOrderedUUID.make(at: at)
        let uuid = try #require(UUID(uuidString: id))
        #expect(id == uuid.uuidString.lowercased())
        let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
        #expect(bytes[6] >> 4 == 7, "version")
        #expect(bytes[8] >> 6 == 0b10, "variant")
        let millis = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(millis == 1_796_000_000_123)
        // Validated like any client-supplied id.
        #expect(MessageID(validating: id)?.rawValue == id)
    }

    @Test func laterMillisecondsSortLaterAndTheRestIsRandom() {
        let start = Date(timeIntervalSince1970: 1_796_000_000)
        // Mid-millisecond instants, so that binary fractions never round into the one before.
        let ids = (0..<200).map { TimeOrderedUUID.make(at: start.addingTimeInterval((Double($0) + 0.5) / 1000)) }
        #expect(ids == ids.sorted(), "ids of later milliseconds sort later")
        let sameMillisecond = (0..<200).map { _ in TimeOrderedUUID.make(at: start) }
        #expect(Set(sameMillisecond).count == 200)
        #expect(Set(sameMillisecond.map { $0.suffix(12) }).count == 200)
    }
}
